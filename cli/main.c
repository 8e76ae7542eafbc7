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

#if PG_VERSION_NUM >= 140000
#include "fe_utils/option_utils.h"
#else
#include "common/string.h"
#endif

const char *progname;

/* The exit status of an error: 1, but 2 for "pgmig diff" (see diff(1)). */
int			error_exit_status = EXIT_ERROR;

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
	LONGOPT_LOCK_RETRIES,
	LONGOPT_AUTOGENERATE,
	LONGOPT_SCHEMA,
	LONGOPT_SHADOW_URL,
	LONGOPT_PRIVILEGES,
	LONGOPT_CONCURRENTLY,
	LONGOPT_FROM_DATABASE,
	LONGOPT_DOWN,
	LONGOPT_FORCE,
	LONGOPT_DROP,
	LONGOPT_FORMAT,
	LONGOPT_REPLICAS,
	LONGOPT_DATABASES,
	LONGOPT_ALL_DATABASES,
	LONGOPT_FAIL_FAST
};

/* After a usage error: the hint where to read more, and exit with status 2. */
static void usage_exit(const Options *opts) pg_attribute_noreturn();

static void
usage_exit(const Options *opts)
{
	if (opts && opts->command && opts->command->cmd != CMD_HELP)
		pg_log_error_hint("Try \"%s help %s\" for more information.",
						  progname, opts->command->name);
	else
		pg_log_error_hint("Try \"%s --help\" for more information.", progname);
	exit(EXIT_USAGE);
}

/* Report a usage error with a hint, and exit with status 2. */
static void
usage_error(const Options *opts, const char *fmt,...) pg_attribute_printf(2, 3) pg_attribute_noreturn();

static void
usage_error(const Options *opts, const char *fmt,...)
{
	va_list		ap;
	char		buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pg_log_error("%s", buf);
	usage_exit(opts);
}

#if PG_VERSION_NUM < 140000
/*
 * option_parse_int() as PostgreSQL 14 and later have it in
 * fe_utils/option_utils.c, with its messages, for PostgreSQL 13.
 */
static bool
option_parse_int(const char *optarg, const char *optname,
				 int min_range, int max_range, int *result)
{
	char	   *endptr;
	int			val;

	errno = 0;
	val = strtoint(optarg, &endptr, 10);
	while (*endptr != '\0' && isspace((unsigned char) *endptr))
		endptr++;
	if (*endptr != '\0')
	{
		pg_log_error("invalid value \"%s\" for option %s", optarg, optname);
		return false;
	}
	if (errno == ERANGE || val < min_range || val > max_range)
	{
		pg_log_error("%s must be in range %d..%d", optname, min_range, max_range);
		return false;
	}
	*result = val;
	return true;
}
#endif

/*
 * Check the whole number an option was given, as PostgreSQL's tools do,
 * and give it back written as the server reads it ("+7 " becomes "7").
 * Exits on a usage error.
 */
static void
check_int_option(const Options *opts, const char *name, const char **value,
				 int min_range, int max_range)
{
	int			n;

	/* option_parse_int takes an empty value for 0 */
	if ((*value)[0] == '\0')
	{
		pg_log_error("invalid value \"%s\" for option %s", *value, name);
		usage_exit(opts);
	}
	if (!option_parse_int(*value, name, min_range, max_range, &n))
		usage_exit(opts);
	pg_free((char *) *value);
	*value = psprintf("%d", n);
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

/*
 * ENVIRONMENT=production, as the seeds' Alembic projects set it, marks the
 * run as one on production from the client's side too, whatever the
 * database's pgmig.environment says: a command that changes the database
 * refuses before connecting unless the run is confirmed
 * (CONFIRM_PRODUCTION_MIGRATION=yes, PGMIG_CONFIRM=yes or --confirm).  A
 * dry run and --sql, which change nothing, need no confirmation.  Exits on
 * refusal.
 */
static void
check_production(const Options *opts)
{
	const char *env = getenv("ENVIRONMENT");
	int			cmd = opts->command->cmd;
	bool		changes = cmd == CMD_UP || cmd == CMD_DOWN || cmd == CMD_REDO ||
		cmd == CMD_STAMP || cmd == CMD_IMPORT ||
		(cmd == CMD_NEW && opts->from_database);

	if (env == NULL || pg_strcasecmp(env, "production") != 0 || !changes ||
		opts->dry_run || opts->sql || opts->confirm)
		return;
	pg_log_error("production migration not confirmed");
	pg_log_error_detail("ENVIRONMENT is \"%s\": command \"%s\" would change a production database.",
						shown(env), opts->command->name);
	pg_log_error_hint("Confirm the run with CONFIRM_PRODUCTION_MIGRATION=yes (or PGMIG_CONFIRM=yes, or --confirm).");
	exit(EXIT_ERROR);
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
		"--lock-retries", "--schema", "--shadow-url", "-j", "--jobs",
		"--databases", NULL
	};

	return one_of(s, with_value);
}

/*
 * Take --help and -? out of argv, wherever they are: they ask for help (of
 * the command, if one is given).  Returns whether there was one.
 */
static bool
take_help_options(int *argc, char **argv)
{
	bool		want_help = false;
	int			i;

	for (i = 1; i < *argc; i++)
	{
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-?") == 0)
		{
			want_help = true;
			memmove(&argv[i], &argv[i + 1], (*argc - i) * sizeof(char *));
			(*argc)--;
			i--;
		}
	}
	return want_help;
}

/*
 * "pgmig down -1": hide relative targets from getopt_long by turning their
 * "-" into a marker byte, so that they stay arguments; take_positional()
 * gives the "-" back.
 */
static void
hide_relative_targets(int argc, char **argv)
{
	int			i;

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--") == 0)
			break;
		if (takes_value(argv[i]))
			i++;
		else if (is_relative_target(argv[i]))
			argv[i][0] = RELATIVE_MARK;
	}
}

/* Apply an option of autogenerate (new --autogenerate, diff); returns its bit. */
static int
apply_autogen_option(int c, const char *arg, Options *opts)
{
	switch (c)
	{
		case LONGOPT_AUTOGENERATE:
			opts->autogenerate = true;
			return OPT_AUTOGEN;
		case LONGOPT_SCHEMA:
			pg_free((char *) opts->schema);
			opts->schema = pg_strdup(arg);
			return OPT_SCHEMA;
		case LONGOPT_SHADOW_URL:
			pg_free((char *) opts->shadow_url);
			opts->shadow_url = pg_strdup(arg);
			return OPT_SHADOW;
		case LONGOPT_PRIVILEGES:
			opts->privileges = true;
			return OPT_PRIVILEGES;
		case LONGOPT_CONCURRENTLY:
			opts->concurrently = true;
			return OPT_CONCURRENTLY;
		case LONGOPT_FROM_DATABASE:
			opts->from_database = true;
			return OPT_FROM_DB;
		case LONGOPT_DOWN:
			opts->down = true;
			return OPT_DOWN;
		case LONGOPT_FORCE:
			opts->force = true;
			return OPT_FORCE;
		case LONGOPT_DROP:
			opts->drop = true;
			return OPT_DROP;
		case LONGOPT_REPLICAS:
			if (arg[0] == '\0')
				usage_error(NULL, "--wait-for-replicas needs the standbys' names");
			pg_free((char *) opts->replicas);
			opts->replicas = pg_strdup(arg);
			return OPT_REPLICAS;
		case LONGOPT_DATABASES:
			if (arg[0] == '\0')
				usage_error(NULL, "--databases needs a file");
			pg_free((char *) opts->databases);
			opts->databases = pg_strdup(arg);
			return OPT_FLEET;
		case LONGOPT_ALL_DATABASES:
			opts->all_databases = true;
			return OPT_FLEET;
		case 'j':
			{
				const char *jobs = pg_strdup(arg);

				check_int_option(NULL, "-j/--jobs", &jobs, 1, 1000);
				opts->jobs = atoi(jobs);
				pg_free((char *) jobs);
				return OPT_FLEET;
			}
		case LONGOPT_FAIL_FAST:
			opts->fail_fast = true;
			return OPT_FLEET;
	}
	usage_error(NULL, "invalid command line option");
}

/*
 * Apply the option getopt_long returned as "c" to *opts.  Returns its
 * OPT_* bit (0 for the options every command takes); exits on --version
 * and on an unknown option.
 */
static int
apply_option(int c, const char *arg, Options *opts)
{
	switch (c)
	{
		case 'd':
			opts->dbname = pg_strdup(arg);
			return OPT_CONN;
		case 'h':
			opts->host = pg_strdup(arg);
			return OPT_CONN;
		case 'p':
			opts->port = pg_strdup(arg);
			return OPT_CONN;
		case 'U':
			opts->username = pg_strdup(arg);
			return OPT_CONN;
		case 'w':
			opts->prompt_password = TRI_NO;
			return OPT_CONN;
		case 'W':
			opts->prompt_password = TRI_YES;
			return OPT_CONN;
		case 'm':
			opts->message = pg_strdup(arg);
			return OPT_MESSAGE;
		case 'r':
			opts->revisions[opts->nrevisions++] = pg_strdup(arg);
			return OPT_REVISION;
		case 'v':
			opts->verbose = true;
			return OPT_VERBOSE;
		case 'q':
			opts->quiet = true;
			return 0;
		case 'V':
			printf("%s (pgmig) %s\n", progname, PGMIG_VERSION);
			exit(EXIT_OK);
		case '?':
			/* getopt_long has said what is wrong */
			usage_exit(NULL);
		case LONGOPT_DIR:
			opts->dir = pg_strdup(arg);
			return 0;
		case LONGOPT_FORMAT:
			if (strcmp(arg, "dbmate") != 0 && strcmp(arg, "golang-migrate") != 0 &&
				strcmp(arg, "diesel") != 0 && strcmp(arg, "flyway") != 0 &&
				strcmp(arg, "sqitch") != 0 && strcmp(arg, "node-pg-migrate") != 0 &&
				strcmp(arg, "sqlx") != 0)
				usage_error(NULL, "--format must be dbmate, golang-migrate, sqlx, diesel, flyway, sqitch or node-pg-migrate");
			pg_free((char *) opts->format);
			opts->format = pg_strdup(arg);
			return 0;
		case LONGOPT_SQL:
			opts->sql = true;
			return OPT_SQL;
		case LONGOPT_DRY_RUN:
			opts->dry_run = true;
			return OPT_DRY_RUN;
		case LONGOPT_COMMIT_EACH:
			opts->commit_each = true;
			return OPT_COMMIT_EACH;
		case LONGOPT_JSON:
			opts->json = true;
			return OPT_JSON;
		case LONGOPT_CONFIRM:
			opts->confirm = true;
			return OPT_CONFIRM;
		case LONGOPT_OFFLINE:
			opts->offline = true;
			return OPT_OFFLINE;
		case LONGOPT_DRIFT:
			opts->drift = true;
			return OPT_DRIFT;
		case LONGOPT_LOCK_TIMEOUT:
			pg_free((char *) opts->lock_timeout);
			opts->lock_timeout = pg_strdup(arg);
			return OPT_LOCK;
		case LONGOPT_LOCK_RETRIES:
			pg_free((char *) opts->lock_retries);
			opts->lock_retries = pg_strdup(arg);
			return OPT_LOCK;
		default:
			return apply_autogen_option(c, arg, opts);
	}
	usage_error(NULL, "invalid command line option");
}

/*
 * Read the options into *opts; returns the OPT_* bits of those given.
 * getopt_long (glibc's, and PostgreSQL's own since 16) moves the
 * non-option arguments to the end, so options may follow the command.
 */
static int
read_options(int argc, char **argv, Options *opts)
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
		{"autogenerate", no_argument, NULL, LONGOPT_AUTOGENERATE},
		{"schema", required_argument, NULL, LONGOPT_SCHEMA},
		{"shadow-url", required_argument, NULL, LONGOPT_SHADOW_URL},
		{"privileges", no_argument, NULL, LONGOPT_PRIVILEGES},
		{"concurrently", no_argument, NULL, LONGOPT_CONCURRENTLY},
		{"from-database", no_argument, NULL, LONGOPT_FROM_DATABASE},
		{"down", no_argument, NULL, LONGOPT_DOWN},
		{"force", no_argument, NULL, LONGOPT_FORCE},
		{"drop", no_argument, NULL, LONGOPT_DROP},
		{"format", required_argument, NULL, LONGOPT_FORMAT},
		{"wait-for-replicas", required_argument, NULL, LONGOPT_REPLICAS},
		{"databases", required_argument, NULL, LONGOPT_DATABASES},
		{"all-databases", no_argument, NULL, LONGOPT_ALL_DATABASES},
		{"jobs", required_argument, NULL, 'j'},
		{"fail-fast", no_argument, NULL, LONGOPT_FAIL_FAST},
		{NULL, 0, NULL, 0}
	};
	int			seen = 0;
	int			c;

	opts->prompt_password = TRI_DEFAULT;
	opts->jobs = 1;
	opts->revisions = pg_malloc(argc * sizeof(char *));
	while ((c = getopt_long(argc, argv, "d:h:p:U:wWm:r:vqVj:", long_options, NULL)) != -1)
		seen |= apply_option(c, optarg, opts);
	return seen;
}

/*
 * The arguments getopt_long left, the command first, with the "-" of
 * relative targets given back.  Sets opts->command, args and nargs; exits
 * when there is no command (with help, if asked for) or it is unknown.
 */
static void
take_positional(int argc, char **argv, bool want_help, Options *opts)
{
	char	  **positional = pg_malloc(argc * sizeof(char *));
	int			npositional = 0;

	opts->positional = positional;
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
}

/* Check the options of autogenerate against each other; exits if wrong. */
static void
check_autogen_usage(const Options *opts, int seen)
{
	int			bit;

	if (opts->command->cmd == CMD_NEW && !opts->autogenerate)
		for (bit = 1; bit <= OPT_LAST; bit <<= 1)
			if ((seen & bit) && (OPT_AUTOGEN_ONLY & bit))
				usage_error(opts, "%s cannot be used with command \"new\" without --autogenerate",
							option_name(bit));
	if (opts->from_database && opts->schema)
		usage_error(opts, "--schema and --from-database cannot be used together");
	if (opts->confirm && opts->command->cmd == CMD_NEW && !opts->from_database)
		usage_error(opts, "--confirm cannot be used with command \"new\" without --from-database");
	if (opts->down && opts->concurrently)
		usage_error(opts, "--down and --concurrently cannot be used together");
	if (opts->schema && opts->schema[0] == '\0')
		usage_error(opts, "--schema needs a path");
	if (opts->shadow_url && opts->shadow_url[0] == '\0')
		usage_error(opts, "--shadow-url needs a URL");
}

/* Check the options of fleets against the others; exits if wrong. */
static void
check_fleet_usage(const Options *opts, int seen)
{
	if (!(seen & OPT_FLEET))
		return;
	if (opts->databases && opts->all_databases)
		usage_error(opts, "--databases and --all-databases cannot be used together");
	if (!is_fleet(opts))
		usage_error(opts, "%s needs --databases or --all-databases",
					opts->fail_fast ? "--fail-fast" : "-j/--jobs");
	if (opts->databases && opts->dbname)
		usage_error(opts, "-d/--dbname cannot be used with --databases");
	if (opts->offline)
		usage_error(opts, "--offline cannot be used with %s",
					opts->databases ? "--databases" : "--all-databases");
	if (opts->sql)
		usage_error(opts, "--sql cannot be used with %s",
					opts->databases ? "--databases" : "--all-databases");
}

/* Check the arguments and options "seen" against the command's; exits if wrong. */
static void
check_usage(Options *opts, int seen)
{
	const CommandInfo *cmd = opts->command;
	int			bit;
	int			lock_ms;

	if (opts->nargs < cmd->min_args)
		usage_error(opts, "command \"%s\" needs %s", cmd->name,
					cmd->min_args == 1 ? "an argument" : "more arguments");
	if (opts->nargs > cmd->max_args)
		usage_error(opts, "too many arguments for command \"%s\": \"%s\"",
					cmd->name, opts->args[cmd->max_args]);
	for (bit = 1; bit <= OPT_LAST; bit <<= 1)
		if ((seen & bit) && !(cmd->options & bit))
			usage_error(opts, "%s cannot be used with command \"%s\"",
						option_name(bit), cmd->name);
	check_autogen_usage(opts, seen);
	check_fleet_usage(opts, seen);

	if (opts->sql && opts->json)
		usage_error(opts, "--sql and --json cannot be used together");
	if (opts->sql && opts->dry_run)
		usage_error(opts, "--sql and --dry-run cannot be used together");
	if (opts->dry_run && opts->commit_each)
		usage_error(opts, "--dry-run and --commit-each cannot be used together");
	if ((cmd->options & OPT_MESSAGE) &&
		(opts->message == NULL || opts->message[0] == '\0'))
		usage_error(opts, "command \"%s\" needs -m MESSAGE", cmd->name);
	if (opts->sql && opts->commit_each && cmd->cmd == CMD_DOWN)
		usage_error(opts, "--sql and --commit-each cannot be used together with \"down\"");
	if (opts->drift && opts->offline)
		usage_error(opts, "--drift and --offline cannot be used together");
	/* pgmig.lock_timeout: what the server takes, -1 and up */
	if (opts->lock_timeout &&
		(!pgmig_parse_ms(opts->lock_timeout, &lock_ms) || lock_ms < -1))
		usage_error(opts, "invalid value \"%s\" for option --lock-timeout: not a duration such as \"5s\" or \"200ms\", 0 or -1",
					opts->lock_timeout);
	if (opts->lock_retries)
		check_int_option(opts, "--lock-retries", &opts->lock_retries, 0, 1000);
}

/* Parse argv into *opts; exits on usage errors and on --help/--version. */
static void
parse_arguments(int argc, char **argv, Options *opts)
{
	bool		want_help;
	int			seen;

	memset(opts, 0, sizeof(*opts));
	want_help = take_help_options(&argc, argv);
	hide_relative_targets(argc, argv);
	seen = read_options(argc, argv, opts);
	take_positional(argc, argv, want_help, opts);

	/* "pgmig help [CMD] --help" is the help command itself */
	if (want_help && opts->command->cmd != CMD_HELP)
	{
		command_usage(opts->command);
		exit(EXIT_OK);
	}
	check_usage(opts, seen);
	if (opts->json)
		json_start();

	/* the seeds' variable confirms as PGMIG_CONFIRM does */
	if (env_yes("PGMIG_CONFIRM") || env_yes("CONFIRM_PRODUCTION_MIGRATION"))
		opts->confirm = true;
	/* only runs show progress (and --sql runs nothing) */
	opts->progress = PROGRESS_OFF;
	if ((opts->command->cmd == CMD_UP || opts->command->cmd == CMD_DOWN ||
		 opts->command->cmd == CMD_REDO) && !opts->sql &&
		!progress_mode(opts->quiet, &opts->progress))
		usage_error(opts, "invalid value \"%s\" for environment variable PGMIG_PROGRESS: use \"auto\", \"lines\" or \"off\"",
					getenv("PGMIG_PROGRESS"));
	check_production(opts);
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
	pg_free((char *) opts->format);
	pg_free((char *) opts->message);
	pg_free((char *) opts->lock_timeout);
	pg_free((char *) opts->lock_retries);
	pg_free((char *) opts->schema);
	pg_free((char *) opts->shadow_url);
	pg_free((char *) opts->databases);
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
		case CMD_IMPORT:
			return cmd_import(opts);
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
		case CMD_DIFF:
			return cmd_diff(opts);
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

	/*
	 * PostgreSQL's tools call set_pglocale_pgservice() here to bind their
	 * message catalog.  pgmig has none, so its texts are not marked for
	 * translation, and the setlocale(LC_ALL, "") it would do would make
	 * durations print, and the numbers the server sends read, with the
	 * environment's decimal separator.
	 */
	pg_logging_init(argv[0]);
	progname = get_progname(argv[0]);

	parse_arguments(argc, argv, &opts);
	if (is_fleet(&opts))
		status = run_fleet(&opts, dispatch);
	else
		status = dispatch(&opts);
	free_options(&opts);
	return status;
}
