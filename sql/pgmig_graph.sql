-- The revision graph: branches, heads, merges, labels, relative targets,
-- out-of-order revisions.
CREATE EXTENSION pgmig;

-- 10 <- 20 <- 30 (label billing), and 40 branching off 10: two heads
SELECT revision, action FROM mig_register(
  ARRAY['10_root.sql', '20_a.sql', '30_b.sql', '40_side.sql'],
  ARRAY[E'-- migrate:up\nCREATE TABLE g1 (a int);\n-- migrate:down\nDROP TABLE g1;\n',
        E'-- migrate:up\nCREATE TABLE g2 (a int);\n-- migrate:down\nDROP TABLE g2;\n',
        E'-- pgmig:label billing\n-- migrate:up\nCREATE TABLE g3 (a int);\n-- migrate:down\nDROP TABLE g3;\n',
        E'-- pgmig:revises 10\n-- pgmig:label side\n-- migrate:up\nCREATE TABLE g4 (a int);\n-- migrate:down\nDROP TABLE g4;\n']);
SELECT revision, parents, labels, is_head FROM mig_revisions();
SELECT * FROM mig_heads();
SELECT mig_status();

-- "head" is ambiguous now; "heads" and label@head are not
SELECT revision FROM mig_plan('head');
SELECT revision FROM mig_plan('heads');
SELECT revision FROM mig_plan('billing@head');
SELECT revision FROM mig_plan('side@head');

-- relative targets
SELECT revision FROM mig_apply('+2');
SELECT mig_status();
SELECT revision FROM mig_apply('side@head');
SELECT revision FROM mig_plan('-2', revert => true);
SELECT revision FROM mig_revert('-1');

-- a merge revision joins the heads
SELECT revision, action FROM mig_register('50_merge.sql',
  E'-- pgmig:revises 30 40\n-- migrate:up\n-- migrate:down\n');
SELECT * FROM mig_heads();
SELECT revision FROM mig_apply();
SELECT mig_status();

-- a downgrade to one branch reverts what is not its ancestor
SELECT revision FROM mig_plan('30', revert => true);
SELECT revision FROM mig_revert('30');
SELECT revision, applied FROM mig_revisions();
SELECT revision FROM mig_apply();

-- a revision merged late, older than applied ones, is out of order
SELECT revision, action FROM mig_register('25_late.sql',
  E'-- pgmig:revises 20\n-- migrate:up\nCREATE TABLE g25 (a int);\n-- migrate:down\nDROP TABLE g25;\n');
SELECT revision, out_of_order FROM mig_revisions() WHERE out_of_order;
SELECT mig_status();
-- "heads" applies it; it is a head of its own until merged
SELECT revision FROM mig_apply('heads');
SELECT mig_status();

-- a cycle is refused when it is registered
SELECT revision FROM mig_register('60_cycle.sql', E'-- pgmig:revises 70\n-- migrate:up\n');
SELECT revision FROM mig_register(ARRAY['60_cycle.sql', '70_cycle.sql'],
  ARRAY[E'-- pgmig:revises 70\n-- migrate:up\n', E'-- pgmig:revises 60\n-- migrate:up\n']);
SELECT revision FROM mig_register('60_self.sql', E'-- pgmig:revises 60\n-- migrate:up\n');

-- versions order numerically (9 before 10), dashes and dots aside
SELECT revision FROM mig_register(ARRAY['1-0-0_ten.sql', '9.0_nine.sql'],
  ARRAY[E'-- pgmig:revises 50\n-- migrate:up\n', E'-- pgmig:revises 50\n-- migrate:up\n']);
SELECT revision FROM mig_plan('heads');
SELECT revision FROM mig_plan('10');

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE g1, g2, g3, g4, g25;
