/*-------------------------------------------------------------------------
 *
 * main.c
 *	  Entry point of the pgmig client: command line parsing and dispatch.
 *
 * Usage: pgmig COMMAND [ARGUMENT]... [OPTION]...  Options may come before
 * or after the command.  A usage error exits with status 2, any other
 * error with 1.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "getopt_long.h"

const char *progname;

/* Marks a relative target (-1) in argv while getopt_long runs. */
#define RELATIVE_MARK '\001'

/* Codes of the long options that have no short form. */
enum
{
	LONGOPT_DIR = 1000,
	LONGOPT_SQL,
	LONGOPT_DRY_RUN,
	LONGOPT_COMMIT_EACH,
	LONGOPT_JSON,
	LONGOPT_CONFIRM,
	LONGOPT_OFFLINE,
	LONGOPT_DRIFT,
	LONGOPT_LOCK_TIMEOUT,
	LONGOPT_LOCK_RETRIES
};

/* Report a usage error with a hint, and exit with status 2. */
static void
usage_error(const Options *opts, const char *fmt,...) pg_attribute_printf(2, 3);

static void
usage_error(const Options *opts, const char *fmt,...)
{
	va_list		ap;
	char		buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pg_log_error("%s", buf);
	if (opts && opts->command && opts->command->cmd != CMD_HELP)
		pg_log_error_hint("Try \"%s help %s\" for more information.",
						  progname, opts->command->name);
	else
		pg_log_error_hint("Try \"%s --help\" for more information.", progname);
	exit(EXIT_USAGE);
}

/* Is the environment variable set to a yes value? */
static bool
env_yes(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && (pg_strcasecmp(v, "yes") == 0 ||
						 pg_strcasecmp(v, "true") == 0 ||
						 pg_strcasecmp(v, "on") == 0 ||
						 strcmp(v, "1") == 0);
}

/* Is this argument a relative target such as -1 (not an option)? */
static bool
is_relative_target(const char *s)
{
	return s[0] == '-' && s[1] != '\0' &&
		strspn(s + 1, "0123456789") == strlen(s + 1);
}

/* Is s one of the words of a NULL-terminated list? */
static bool
one_of(const char *s, const char *const *words)
{
	int			i;

	for (i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

/* Is this an option whose value is the next argument? */
static bool
takes_value(const char *s)
{
	static const char *const with_value[] = {
		"-d", "-h", "-p", "-U", "-m", "-r", "--dbname", "--host", "--port",
		"--username", "--message", "--revision", "--dir", "--lock-timeout",
		"--lock-retries", NULL
	};

	return one_of(s, with_value);
}

/* Is this a whole number from 0 to max? */
static bool
valid_count(const char *s, long max)
{
	char	   *end;
	long		v;

	if (!isdigit((unsigned char) s[0]))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v <= max;
}

/* Parse argv into *opts; exits on usage errors and on --help/--version. */
static void
parse_arguments(int argc, char **argv, Options *opts)
{
	static struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"no-password", no_argument, NULL, 'w'},
		{"password", no_argument, NULL, 'W'},
		{"message", required_argument, NULL, 'm'},
		{"revision", required_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"dir", required_argument, NULL, LONGOPT_DIR},
		{"sql", no_argument, NULL, LONGOPT_SQL},
		{"dry-run", no_argument, NULL, LONGOPT_DRY_RUN},
		{"commit-each", no_argument, NULL, LONGOPT_COMMIT_EACH},
		{"json", no_argument, NULL, LONGOPT_JSON},
		{"confirm", no_argument, NULL, LONGOPT_CONFIRM},
		{"offline", no_argument, NULL, LONGOPT_OFFLINE},
		{"drift", no_argument, NULL, LONGOPT_DRIFT},
		{"lock-timeout", required_argument, NULL, LONGOPT_LOCK_TIMEOUT},
		{"lock-retries", required_argument, NULL, LONGOPT_LOCK_RETRIES},
		{NULL, 0, NULL, 0}
	};
	char	  **positional = pg_malloc(argc * sizeof(char *));
	int			npositional = 0;
	int			seen = 0;
	bool		want_help = false;
	int			c;
	int			bit;
	int			lock_ms;

	memset(opts, 0, sizeof(*opts));

	/* --help and -? anywhere ask for help (of the command, if one is given) */
	for (c = 1; c < argc; c++)
	{
		if (strcmp(argv[c], "--") == 0)
			break;
		if (strcmp(argv[c], "--help") == 0 || strcmp(argv[c], "-?") == 0)
		{
			want_help = true;
			memmove(&argv[c], &argv[c + 1], (argc - c) * sizeof(char *));
			argc--;
			c--;
		}
	}

	/*
	 * "pgmig down -1": hide relative targets from getopt_long by turning
	 * their "-" into a marker byte, so that they stay arguments; the "-"
	 * comes back below.
	 */
	for (c = 1; c < argc; c++)
	{
		if (strcmp(argv[c], "--") == 0)
			break;
		if (takes_value(argv[c]))
			c++;
		else if (is_relative_target(argv[c]))
			argv[c][0] = RELATIVE_MARK;
	}

	opts->prompt_password = TRI_DEFAULT;
	opts->revisions = pg_malloc(argc * sizeof(char *));
	opts->positional = positional;

	/*
	 * getopt_long (glibc's, and PostgreSQL's own since 16) moves the
	 * non-option arguments to the end, so options may follow the command.
	 */
	while ((c = getopt_long(argc, argv, "d:h:p:U:wWm:r:vqV", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts->dbname = pg_strdup(optarg);
				seen |= OPT_CONN;
				break;
			case 'h':
				opts->host = pg_strdup(optarg);
				seen |= OPT_CONN;
				break;
			case 'p':
				opts->port = pg_strdup(optarg);
				seen |= OPT_CONN;
				break;
			case 'U':
				opts->username = pg_strdup(optarg);
				seen |= OPT_CONN;
				break;
			case 'w':
				opts->prompt_password = TRI_NO;
				seen |= OPT_CONN;
				break;
			case 'W':
				opts->prompt_password = TRI_YES;
				seen |= OPT_CONN;
				break;
			case 'm':
				opts->message = pg_strdup(optarg);
				seen |= OPT_MESSAGE;
				break;
			case 'r':
				opts->revisions[opts->nrevisions++] = pg_strdup(optarg);
				seen |= OPT_REVISION;
				break;
			case 'v':
				opts->verbose = true;
				seen |= OPT_VERBOSE;
				break;
			case 'q':
				opts->quiet = true;
				break;
			case 'V':
				printf("%s (pgmig) %s\n", progname, PGMIG_VERSION);
				exit(EXIT_OK);
			case '?':
				/* getopt_long has said what is wrong */
				pg_log_error_hint("Try \"%s --help\" for more information.",
								  progname);
				exit(EXIT_USAGE);
			case LONGOPT_DIR:
				opts->dir = pg_strdup(optarg);
				break;
			case LONGOPT_SQL:
				opts->sql = true;
				seen |= OPT_SQL;
				break;
			case LONGOPT_DRY_RUN:
				opts->dry_run = true;
				seen |= OPT_DRY_RUN;
				break;
			case LONGOPT_COMMIT_EACH:
				opts->commit_each = true;
				seen |= OPT_COMMIT_EACH;
				break;
			case LONGOPT_JSON:
				opts->json = true;
				seen |= OPT_JSON;
				break;
			case LONGOPT_CONFIRM:
				opts->confirm = true;
				seen |= OPT_CONFIRM;
				break;
			case LONGOPT_OFFLINE:
				opts->offline = true;
				seen |= OPT_OFFLINE;
				break;
			case LONGOPT_DRIFT:
				opts->drift = true;
				seen |= OPT_DRIFT;
				break;
			case LONGOPT_LOCK_TIMEOUT:
				pg_free((char *) opts->lock_timeout);
				opts->lock_timeout = pg_strdup(optarg);
				seen |= OPT_LOCK;
				break;
			case LONGOPT_LOCK_RETRIES:
				pg_free((char *) opts->lock_retries);
				opts->lock_retries = pg_strdup(optarg);
				seen |= OPT_LOCK;
				break;
			default:
				usage_error(NULL, "invalid command line option");
		}
	}
	while (optind < argc)
	{
		char	   *arg = argv[optind++];

		if (arg[0] == RELATIVE_MARK)
			arg[0] = '-';
		positional[npositional++] = arg;
	}

	if (npositional == 0)
	{
		if (want_help)
		{
			usage();
			exit(EXIT_OK);
		}
		usage_error(NULL, "no command given");
	}
	opts->command = find_command(positional[0]);
	if (opts->command == NULL)
		usage_error(NULL, "unknown command \"%s\"", positional[0]);
	opts->nargs = npositional - 1;
	opts->args = positional + 1;

	/* "pgmig help [CMD] --help" is the help command itself */
	if (want_help && opts->command->cmd != CMD_HELP)
	{
		command_usage(opts->command);
		exit(EXIT_OK);
	}

	if (opts->nargs < opts->command->min_args)
		usage_error(opts, "command \"%s\" needs %s", opts->command->name,
					opts->command->min_args == 1 ? "an argument" : "more arguments");
	if (opts->nargs > opts->command->max_args)
		usage_error(opts, "too many arguments for command \"%s\": \"%s\"",
					opts->command->name, opts->args[opts->command->max_args]);
	for (bit = 1; bit <= OPT_LAST; bit <<= 1)
		if ((seen & bit) && !(opts->command->options & bit))
			usage_error(opts, "%s cannot be used with command \"%s\"",
						option_name(bit), opts->command->name);

	if (opts->sql && opts->dry_run)
		usage_error(opts, "--sql and --dry-run cannot be used together");
	if (opts->dry_run && opts->commit_each)
		usage_error(opts, "--dry-run and --commit-each cannot be used together");
	if ((opts->command->options & OPT_MESSAGE) &&
		(opts->message == NULL || opts->message[0] == '\0'))
		usage_error(opts, "command \"%s\" needs -m MESSAGE",
					opts->command->name);
	if (opts->sql && opts->commit_each && opts->command->cmd == CMD_DOWN)
		usage_error(opts, "--sql and --commit-each cannot be used together with \"down\"");
	if (opts->drift && opts->offline)
		usage_error(opts, "--drift and --offline cannot be used together");
	/* pgmig.lock_timeout: what the server takes, -1 and up */
	if (opts->lock_timeout &&
		(!pgmig_parse_ms(opts->lock_timeout, &lock_ms) || lock_ms < -1))
		usage_error(opts, "invalid value \"%s\" for option --lock-timeout: not a duration such as \"5s\" or \"200ms\", 0 or -1",
					opts->lock_timeout);
	if (opts->lock_retries && !valid_count(opts->lock_retries, 1000))
		usage_error(opts, "invalid value \"%s\" for option --lock-retries: not a number from 0 to 1000",
					opts->lock_retries);

	if (env_yes("PGMIG_CONFIRM"))
		opts->confirm = true;
}

/* Free what parse_arguments allocated. */
static void
free_options(Options *opts)
{
	int			i;

	pg_free((char *) opts->dbname);
	pg_free((char *) opts->host);
	pg_free((char *) opts->port);
	pg_free((char *) opts->username);
	pg_free((char *) opts->dir);
	pg_free((char *) opts->message);
	pg_free((char *) opts->lock_timeout);
	pg_free((char *) opts->lock_retries);
	for (i = 0; i < opts->nrevisions; i++)
		pg_free((char *) opts->revisions[i]);
	pg_free(opts->revisions);
	pg_free(opts->positional);
}

/* Run the command; returns the exit status. */
static int
dispatch(const Options *opts)
{
	switch (opts->command->cmd)
	{
		case CMD_HELP:
			if (opts->nargs == 0)
				usage();
			else
			{
				const CommandInfo *cmd = find_command(opts->args[0]);

				if (cmd == NULL)
					usage_error(NULL, "unknown command \"%s\"", opts->args[0]);
				command_usage(cmd);
			}
			return EXIT_OK;
		case CMD_INIT:
			return cmd_init(opts);
		case CMD_NEW:
			return cmd_new(opts);
		case CMD_MERGE:
			return cmd_merge(opts);
		case CMD_UP:
			return cmd_up(opts);
		case CMD_DOWN:
			return cmd_down(opts);
		case CMD_REDO:
			return cmd_redo(opts);
		case CMD_STAMP:
			return cmd_stamp(opts);
		case CMD_STATUS:
			return cmd_status(opts);
		case CMD_CURRENT:
			return cmd_current(opts);
		case CMD_HEADS:
			return cmd_heads(opts);
		case CMD_HISTORY:
			return cmd_history(opts);
		case CMD_SHOW:
			return cmd_show(opts);
		case CMD_CHECK:
			return cmd_check(opts);
		case CMD_VERIFY:
			return cmd_verify(opts);
		case CMD_NONE:
			break;
	}
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	/* static: what it points to stays reachable when an error exits */
	static Options opts;
	int			status;

	pg_logging_init(argv[0]);
	progname = get_progname(argv[0]);

	parse_arguments(argc, argv, &opts);
	status = dispatch(&opts);
	free_options(&opts);
	return status;
}
