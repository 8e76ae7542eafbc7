/*-------------------------------------------------------------------------
 *
 * newrev.c
 *	  The revision(s) "pgmig new --autogenerate" writes, proven before they
 *	  are written.
 *
 * The up script is the differ's statements from the migrations' head to
 * the schema wanted; with --concurrently the statements that must run
 * outside a transaction (CREATE INDEX CONCURRENTLY) go into a second,
 * transaction:false revision, whose down script reverts them.  The down
 * script of the first is the differ's statements from what the first
 * revision leaves back to the head.
 *
 * The proof runs the revisions as "pgmig up" runs the files (registered,
 * applied and reverted through the extension) in the shadow database
 * holding the head: after up the schema must equal the one wanted, after
 * down the head again, compared with pgmig_schema_equal().  The file
 * says in a header comment whether the round trip was verified; one that
 * was not is written all the same, for review, and the command exits 1.
 * With --from-database the revisions are then recorded as applied in the
 * user's database, which already has their changes.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "fe_utils/cancel.h"

/* Most objects a failed proof names. */
#define PROOF_SHOWN 10

/* One revision to write. */
typedef struct NewRev
{
	char	   *version;
	char	   *name;			/* <version>_<slug>.sql */
	int			nparents;
	const char **parents;
	bool		notx;			/* transaction:false */
	char	   *up;				/* the sections' statements */
	char	   *down;
	char	   *text;			/* the whole file */
} NewRev;

/* How the round trip went. */
typedef enum ProofResult
{
	PROOF_OK,
	PROOF_UP_FAILED,
	PROOF_UP_DIFFERS,
	PROOF_DOWN_FAILED,
	PROOF_DOWN_DIFFERS
} ProofResult;

/* The round trip's result and, when a state differs, the objects. */
typedef struct Proof
{
	ProofResult result;
	int			ndiffs;
	char	  **diffs;			/* up to PROOF_SHOWN */
} Proof;

/* The text of a revision file; "note" is the autogenerate comment, or NULL. */
static char *
revision_text(const NewRev *r, const char *note)
{
	PQExpBufferData buf;
	const char *notx = r->notx ? " transaction:false" : "";
	int			i;

	initPQExpBuffer(&buf);
	if (note)
		appendPQExpBuffer(&buf, "-- autogenerate: %s\n", note);
	if (r->nparents > 0)
	{
		appendPQExpBufferStr(&buf, "-- pgmig:revises");
		for (i = 0; i < r->nparents; i++)
			appendPQExpBuffer(&buf, " %s", r->parents[i]);
		appendPQExpBufferChar(&buf, '\n');
	}
	appendPQExpBuffer(&buf, "-- migrate:up%s\n%s\n-- migrate:down%s\n%s",
					  notx, r->up, notx, r->down);
	return buf.data;
}

/*
 * Parse a revision's text as the file it will be into *f, and check that
 * the parser finds the sections as written: a line of a statement (in a
 * function's body, say) that reads as "-- migrate:down" or "-- pgmig:"
 * would change the file's meaning.  False (reported) if it does.
 */
static bool
parse_revision(const Autogen *ag, const NewRev *r, MigFile *f)
{
	PgmigError	err;
	char	   *up = psprintf("%s\n", r->up);
	bool		parsed;
	bool		same;

	memset(f, 0, sizeof(*f));
	memset(&err, 0, sizeof(err));
	f->path = psprintf("%s/%s", display_path(ag->project.dir), r->name);
	f->content = pg_strdup(r->text);
	parsed = pgmig_parse_script(r->name, f->content, strlen(f->content), &f->script, &err);
	same = parsed && strcmp(f->script.up, up) == 0 && f->script.down != NULL &&
		strcmp(f->script.down, r->down) == 0 && f->script.transactional != r->notx;
	pfree(up);
	if (!same)
	{
		pg_log_error("the generated revision cannot be written as a migration file");
		if (!parsed)
			pg_log_error_detail("Its line %d would read as a line of the file format: %s.",
								err.line, err.message ? err.message : "?");
		else
			pg_log_error_detail("A line of a statement would read as a line of the file format and change the file's sections.");
		pg_log_error_hint("A statement's text (a function's body, say) holds a line such as \"-- migrate:down\": write this change by hand.");
		pgmig_error_free(&err);
		free_script(&f->script);
		pg_free(f->path);
		pg_free(f->content);
		return false;
	}
	if (ag->project.inspecting)
		pgmig_section_checksums(&f->script);
	return true;
}

/*
 * Make r's text, with "note" (or none), the project's file of that
 * version, added or replacing the one there.  False (reported) if it does
 * not parse as written.
 */
static bool
put_in_project(Autogen *ag, NewRev *r, const char *note)
{
	MigFile		f;
	Project    *p = &ag->project;
	int			i;

	pg_free(r->text);
	r->text = revision_text(r, note);
	if (!parse_revision(ag, r, &f))
		return false;
	for (i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].script.id, r->version) == 0)
		{
			free_script(&p->files[i].script);
			pg_free(p->files[i].path);
			pg_free(p->files[i].content);
			p->files[i] = f;
			return true;
		}
	p->files = pg_realloc(p->files, (p->nfiles + 1) * sizeof(MigFile));
	p->files[p->nfiles++] = f;
	return true;
}

/* A section's statements from a diff (see append_script). */
static char *
section(const PgmigDiff *diff, bool online, bool revert)
{
	PQExpBufferData buf;

	initPQExpBuffer(&buf);
	if (revert)
		append_revert(&buf, diff);
	else
		append_script(&buf, diff, online);
	return buf.data;
}

/*
 * Set up the revisions: the one that runs in a transaction (unless every
 * step must run outside one), then the transaction:false one of
 * --concurrently (if any step must).  Adds them to the project; returns
 * how many, 0 (reported) on error.
 */
static int
plan_revisions(Autogen *ag, NewRev *revs)
{
	char	   *slug = make_slug(ag->opts->message);
	bool		online = count_steps(&ag->up, true) > 0;
	bool		in_tx = !online || count_steps(&ag->up, false) > 0 ||
		ag->up.nrenames > 0;
	int			n = 0;
	NewRev	   *r;

	memset(revs, 0, 2 * sizeof(NewRev));
	if (in_tx)
	{
		r = &revs[n++];
		r->version = new_version(&ag->project);
		r->name = psprintf("%s_%s.sql", r->version, slug);
		r->nparents = ag->nheads;
		r->parents = (const char **) ag->heads;
		r->up = section(&ag->up, false, false);
		/* the whole way back; with a second revision, see settle_first_down */
		r->down = section(&ag->down, false, false);
		if (!put_in_project(ag, r, NULL))
			n = -1;
	}
	if (online && n >= 0)
	{
		r = &revs[n++];
		r->version = new_version(&ag->project);
		r->name = psprintf("%s_%s_concurrently.sql", r->version, slug);
		r->nparents = in_tx ? 1 : ag->nheads;
		r->parents = in_tx ? (const char **) &revs[0].version : (const char **) ag->heads;
		r->notx = true;
		r->up = section(&ag->up, true, false);
		r->down = section(&ag->up, true, true);
		if (!put_in_project(ag, r, NULL))
			n = -1;
	}
	pg_free(slug);
	return Max(n, 0);
}

/* Free the revisions. */
static void
free_revisions(NewRev *revs, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		pg_free(revs[i].version);
		pg_free(revs[i].name);
		pg_free(revs[i].up);
		pg_free(revs[i].down);
		pg_free(revs[i].text);
	}
}

/*
 * Describe the head's shadow and compare it with "want"; sets the
 * objects that differ in *proof and returns how many.  Exits on error.
 */
static int
compare_with(Autogen *ag, const PgmigSchema *want, Proof *proof)
{
	PgmigSchema got;
	int			i;

	for (i = 0; i < Min(proof->ndiffs, PROOF_SHOWN); i++)
		pg_free(proof->diffs[i]);
	pg_free(proof->diffs);
	proof->diffs = NULL;
	if (!describe_database(&ag->head, ag->opts->privileges, &got))
		autogen_fail();
	proof->ndiffs = pgmig_schema_equal(&got, want, &proof->diffs, PROOF_SHOWN);
	free_description(&got);
	return proof->ndiffs;
}

/*
 * With a transaction:false revision after the first: apply the first
 * alone, and make its down script the way from what it leaves back to the
 * head.  False if its up script failed.
 */
static bool
settle_first_down(Autogen *ag, NewRev *first)
{
	/* file-scope: reachable if the differ's error exits */
	static PgmigSchema mid;
	static PgmigDiff back;

	if (run_plan(&ag->head, &ag->project, first->version, false) != EXIT_OK)
		return false;
	autogen_check_canceled();
	if (!describe_database(&ag->head, ag->opts->privileges, &mid))
		autogen_fail();
	autogen_diff(&mid, &ag->head_desc, false, &back);
	pg_free(first->down);
	first->down = section(&back, false, false);
	pgmig_diff_free(&back);
	free_description(&mid);
	if (!put_in_project(ag, first, NULL))
		autogen_fail();
	return true;
}

/*
 * The round trip, run as "pgmig up" and "pgmig down" run the files, in
 * the head's shadow: up must reach the state wanted, down the head.
 */
static void
prove(Autogen *ag, NewRev *revs, int n, Proof *proof)
{
	char	   *back = psprintf("-%d", n);
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	memset(proof, 0, sizeof(*proof));
	SetCancelConn(ag->head.conn);
	if ((n == 2 && !settle_first_down(ag, &revs[0])) ||
		run_plan(&ag->head, &ag->project, "heads", false) != EXIT_OK)
		proof->result = PROOF_UP_FAILED;
	else
	{
		autogen_check_canceled();
		if (compare_with(ag, &ag->want_desc, proof) > 0)
			proof->result = PROOF_UP_DIFFERS;
		else if (run_plan(&ag->head, &ag->project, back, true) != EXIT_OK)
			proof->result = PROOF_DOWN_FAILED;
		else
		{
			autogen_check_canceled();
			if (compare_with(ag, &ag->head_desc, proof) > 0)
				proof->result = PROOF_DOWN_DIFFERS;
		}
	}
	/* a canceled statement is no failed proof: write nothing */
	autogen_check_canceled();
	autogen_timing(&start, "the round trip tried in the head's shadow database");
	pfree(back);
}

/* What the revisions are based on, for the note: "001, 002", or "base". */
static char *
parent_list(const Autogen *ag)
{
	PQExpBufferData buf;
	int			i;

	initPQExpBuffer(&buf);
	for (i = 0; i < ag->nheads; i++)
		appendPQExpBuffer(&buf, "%s%s", i > 0 ? ", " : "", ag->heads[i]);
	if (ag->nheads == 0)
		appendPQExpBufferStr(&buf, "base");
	return buf.data;
}

/* The autogenerate comment of the files, saying how the proof went. */
static char *
proof_note(const Autogen *ag, const NewRev *revs, int n, const Proof *proof)
{
	char	   *parents = parent_list(ag);
	char	   *which = n == 2 ? psprintf(" of revisions %s and %s", revs[0].version,
										  revs[1].version) : pg_strdup("");
	const char *label = shown(ag->want_label);
	char	   *note;

	switch (proof->result)
	{
		case PROOF_OK:
			note = psprintf("round trip%s verified (up reaches %s, down returns to %s)",
							which, label, parents);
			break;
		case PROOF_UP_FAILED:
			note = psprintf("round trip%s NOT verified (up failed); review before applying",
							which);
			break;
		case PROOF_UP_DIFFERS:
			note = psprintf("round trip%s NOT verified (up does not reach %s); review before applying",
							which, label);
			break;
		case PROOF_DOWN_FAILED:
			note = psprintf("round trip%s NOT verified (down failed); review before applying",
							which);
			break;
		default:
			note = psprintf("round trip%s NOT verified (down does not return to %s); review before applying",
							which, parents);
			break;
	}
	pg_free(parents);
	pg_free(which);
	return note;
}

/* Report a failed proof, after the files are written for review. */
static void
report_proof(const Autogen *ag, int n, const Proof *proof)
{
	PQExpBufferData list;
	int			shown_n = Min(proof->ndiffs, PROOF_SHOWN);
	int			i;

	if (proof->result == PROOF_UP_FAILED || proof->result == PROOF_DOWN_FAILED)
		pg_log_error("the %s script of the generated revision failed in a shadow database",
					 proof->result == PROOF_UP_FAILED ? "up" : "down");
	else
	{
		initPQExpBuffer(&list);
		for (i = 0; i < shown_n; i++)
			appendPQExpBuffer(&list, "%s%s", i > 0 ? ", " : "", proof->diffs[i]);
		if (proof->ndiffs > shown_n)
			appendPQExpBuffer(&list, ", and %d more", proof->ndiffs - shown_n);
		if (proof->result == PROOF_UP_DIFFERS)
			pg_log_error("the generated up script does not reach the schema of %s",
						 shown(ag->want_label));
		else
			pg_log_error("the generated down script does not return to the migrations' head");
		pg_log_error_detail("%d object%s differ%s: %s.", proof->ndiffs,
							proof->ndiffs == 1 ? "" : "s",
							proof->ndiffs == 1 ? "s" : "", list.data);
		termPQExpBuffer(&list);
	}
	pg_log_error_hint("The revision was written for review, marked as not verified: fix or delete %s before applying it.",
					  n == 2 ? "its files" : "its file");
}

/* Remove the files written so far (after a later failure). */
static void
remove_written(const Autogen *ag, const NewRev *revs, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		char	   *path = join_path(ag->project.dir, revs[i].name);

		if (unlink(path) == 0)
			pg_log_info("removed %s", display_path(path));
		pfree(path);
	}
}

/*
 * Write the files with their note; they become the project's files, as
 * written (for --from-database's stamp).  False (reported, nothing left
 * written) on error.
 */
static bool
write_files(Autogen *ag, NewRev *revs, int n, const Proof *proof)
{
	char	   *note;
	int			i;
	bool		ok = true;

	if (ag->project.format != NULL && strcmp(ag->project.format, "dbmate") != 0)
	{
		pg_log_error("autogenerate writes dbmate's layout, and folder \"%s\" is %s's",
					 display_path(ag->project.dir), ag->project.format);
		pg_log_error_hint("Print the script with \"%s diff\" and put it into a new pair of files with \"%s new\".",
						  progname, progname);
		return false;
	}
	note = proof_note(ag, revs, n, proof);
	for (i = 0; i < n && ok; i++)
	{
		ok = put_in_project(ag, &revs[i], note) &&
			write_new_file(&ag->project, revs[i].name, revs[i].text, ag->opts->quiet);
		if (!ok)
			remove_written(ag, revs, i);
	}
	pg_free(note);
	return ok;
}

/*
 * Print a notice as libpq does, but the warning of drift that recording
 * the revisions gives: the drift is what they capture.
 */
static void
drift_notice_filter(void *arg, const PGresult *res)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (msg && strcmp(msg, "the schema changed outside migrations") == 0)
		return;
	fprintf(stderr, "%s", PQresultErrorMessage(res));
}

/*
 * --from-database: record the revisions as applied in the user's database
 * (which has their changes), as "pgmig stamp" does.  On failure the files
 * are removed again.
 */
static bool
stamp_written(Autogen *ag, NewRev *revs, int n)
{
	PQnoticeReceiver saved;
	bool		ok;

	SetCancelConn(ag->user.conn);
	saved = PQsetNoticeReceiver(ag->user.conn, drift_notice_filter, NULL);
	ok = stamp_revision(&ag->user, &ag->project, revs[n - 1].version);
	PQsetNoticeReceiver(ag->user.conn, saved, NULL);
	if (ok)
		return true;
	remove_written(ag, revs, n);
	pg_log_info("the revision%s could not be recorded as applied in database \"%s\"",
				n == 2 ? "s" : "", PQdb(ag->user.conn));
	return false;
}

/*
 * Write the revision(s) of the diffs in ag, proven first; with
 * --from-database record them as applied.  False if the proof failed (the
 * files are written all the same) or on an error (nothing written).
 */
bool
write_revisions(Autogen *ag)
{
	/* file-scope: reachable when an error exits */
	static NewRev revs[2];
	static Proof proof;
	int			n = plan_revisions(ag, revs);
	bool		ok;
	int			i;

	if (n == 0)
		autogen_fail();
	prove(ag, revs, n, &proof);
	ok = write_files(ag, revs, n, &proof);
	if (ok && proof.result != PROOF_OK)
	{
		report_proof(ag, n, &proof);
		ok = false;
	}
	else if (ok && ag->opts->from_database)
		ok = stamp_written(ag, revs, n);
	for (i = 0; i < Min(proof.ndiffs, PROOF_SHOWN); i++)
		pg_free(proof.diffs[i]);
	pg_free(proof.diffs);
	free_revisions(revs, n);
	return ok;
}
