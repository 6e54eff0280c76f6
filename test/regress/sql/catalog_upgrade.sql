-- CREATE EXTENSION exp_assign (the full script sql/exp_assign--0.3.sql),
-- CREATE EXTENSION exp_assign VERSION '0.1' + ALTER EXTENSION UPDATE (0.1
-- -> 0.2 -> 0.3) and VERSION '0.2' + UPDATE (0.2 -> 0.3) must give the same
-- catalog. Each path runs in a database of its own; one query describes
-- every object of the extension as sorted lines of text, and the
-- descriptions are compared line by line.
--
-- Described: each member of the extension (pg_depend deptype 'e'); each
-- function of its schema in full (pg_get_functiondef, line by line: arguments, result,
-- body, language, volatility, strictness, parallel safety, security
-- definer, SET clauses, cost, rows), its ACL and comment; each relation of
-- its schema with kind, persistence, options, owner, row security, ACL and
-- comment; the live columns in order with type, collation, NOT NULL,
-- default, identity, generation, storage, ACL and comment; constraints,
-- indexes, user triggers, policies, view definitions, sequence parameters;
-- the types of the schema; the schema's ACL and comment; and the
-- extension's row: version and the pg_extension_config_dump settings
-- (extconfig with extcondition).
SELECT $describe$
WITH ext AS (
    SELECT e.oid, e.extname, e.extversion, e.extrelocatable, e.extnamespace, e.extconfig, e.extcondition
      FROM pg_catalog.pg_extension e WHERE e.extname = 'exp_assign'
), rel AS (
    SELECT c.* FROM pg_catalog.pg_class c, ext WHERE c.relnamespace = ext.extnamespace
)
SELECT 'extension: ' || extname || ' ' || extversion || ' relocatable=' || extrelocatable FROM ext
UNION ALL
SELECT 'config dump: ' || cfg.rel::regclass::text || ' condition=' || quote_literal(cfg.cond)
  FROM ext, unnest(ext.extconfig, ext.extcondition) AS cfg(rel, cond)
UNION ALL
SELECT 'member: ' || pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
  FROM pg_catalog.pg_depend d, ext
 WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
UNION ALL
SELECT 'schema: ' || n.nspname || ' owner=' || pg_catalog.pg_get_userbyid(n.nspowner)
       || ' acl=' || coalesce(n.nspacl::text, '-')
       || ' comment=' || coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), '-')
  FROM pg_catalog.pg_namespace n, ext WHERE n.oid = ext.extnamespace
UNION ALL
SELECT 'function: ' || p.oid::regprocedure::text
       || ' owner=' || pg_catalog.pg_get_userbyid(p.proowner)
       || ' acl=' || coalesce(p.proacl::text, '-')
       || ' comment=' || coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '-')
  FROM pg_catalog.pg_proc p, ext WHERE p.pronamespace = ext.extnamespace
UNION ALL
-- The definition line by line, numbered, so a difference shows as the
-- lines that differ.
SELECT 'function body: ' || p.oid::regprocedure::text || ' ' || lpad(l.n::text, 4, '0') || ' ' || l.line
  FROM pg_catalog.pg_proc p, ext,
       unnest(string_to_array(pg_catalog.pg_get_functiondef(p.oid), E'\n')) WITH ORDINALITY l(line, n)
 WHERE p.pronamespace = ext.extnamespace AND p.prokind <> 'a'
UNION ALL
-- Aggregates have no definition to print: their parts instead.
SELECT 'aggregate: ' || a.aggfnoid::regprocedure::text || ' sfunc=' || a.aggtransfn::regprocedure::text
       || ' stype=' || a.aggtranstype::regtype::text || ' combine=' || a.aggcombinefn::regproc::text
       || ' final=' || a.aggfinalfn::regproc::text || ' init=' || coalesce(a.agginitval, '-')
       || ' parallel=' || p.proparallel::text
  FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid, ext
 WHERE p.pronamespace = ext.extnamespace
UNION ALL
SELECT 'relation: ' || r.relname || ' kind=' || r.relkind::text || ' persistence=' || r.relpersistence::text
       || ' options=' || coalesce(r.reloptions::text, '-')
       || ' owner=' || pg_catalog.pg_get_userbyid(r.relowner)
       || ' rls=' || r.relrowsecurity || '/' || r.relforcerowsecurity
       || ' acl=' || coalesce(r.relacl::text, '-')
       || ' comment=' || coalesce(pg_catalog.obj_description(r.oid, 'pg_class'), '-')
  FROM rel r
UNION ALL
-- Position among the live columns, not attnum: a column dropped by an
-- upgrade leaves a hole in attnum that a fresh install does not have.
SELECT 'column: ' || r.relname || '.' || row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum)
       || ' ' || a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
       || ' collation=' || coalesce((SELECT co.collname FROM pg_catalog.pg_collation co
                                      WHERE co.oid = a.attcollation), '-')
       || ' notnull=' || a.attnotnull
       || ' default=' || coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '-')
       || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text || ' storage=' || a.attstorage::text
       || ' acl=' || coalesce(a.attacl::text, '-')
       || ' comment=' || coalesce(pg_catalog.col_description(r.oid, a.attnum), '-')
  FROM rel r
  JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
UNION ALL
SELECT 'constraint: ' || r.relname || ' ' || co.conname || ' ' || pg_catalog.pg_get_constraintdef(co.oid)
       || ' deferrable=' || co.condeferrable || ' deferred=' || co.condeferred
       || ' comment=' || coalesce(pg_catalog.obj_description(co.oid, 'pg_constraint'), '-')
  FROM rel r JOIN pg_catalog.pg_constraint co ON co.conrelid = r.oid
UNION ALL
SELECT 'index: ' || pg_catalog.pg_get_indexdef(i.indexrelid)
  FROM rel r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
UNION ALL
-- Internal triggers (those of foreign keys) carry OIDs in their names and
-- are described by their constraint.
SELECT 'trigger: ' || pg_catalog.pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
       || ' comment=' || coalesce(pg_catalog.obj_description(t.oid, 'pg_trigger'), '-')
  FROM rel r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'policy: ' || r.relname || ' ' || po.polname || ' cmd=' || po.polcmd::text || ' permissive=' || po.polpermissive
       || ' using=' || coalesce(pg_catalog.pg_get_expr(po.polqual, po.polrelid), '-')
       || ' check=' || coalesce(pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), '-')
  FROM rel r JOIN pg_catalog.pg_policy po ON po.polrelid = r.oid
UNION ALL
SELECT 'view: ' || r.relname || ' ' || replace(pg_catalog.pg_get_viewdef(r.oid), E'\n', ' ')
  FROM rel r WHERE r.relkind::text IN ('v', 'm')
UNION ALL
SELECT 'sequence: ' || r.relname || ' ' || pg_catalog.format_type(s.seqtypid, NULL)
       || ' start=' || s.seqstart || ' increment=' || s.seqincrement || ' min=' || s.seqmin
       || ' max=' || s.seqmax || ' cache=' || s.seqcache || ' cycle=' || s.seqcycle
       || ' owned by=' || coalesce((SELECT d.refobjid::regclass::text || '.' || d.refobjsubid
                                     FROM pg_catalog.pg_depend d
                                    WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = r.oid
                                      AND d.refclassid = 'pg_catalog.pg_class'::regclass
                                      AND d.deptype IN ('a', 'i')), '-')
  FROM rel r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
UNION ALL
SELECT 'type: ' || pg_catalog.format_type(t.oid, NULL) || ' typtype=' || t.typtype::text
       || ' acl=' || coalesce(t.typacl::text, '-')
  FROM pg_catalog.pg_type t, ext WHERE t.typnamespace = ext.extnamespace
$describe$ AS describe \gset

CREATE DATABASE exp_assign_catalog_fresh;
CREATE DATABASE exp_assign_catalog_upgraded;
CREATE DATABASE exp_assign_catalog_from_0_2;

\c exp_assign_catalog_fresh
CREATE EXTENSION exp_assign;
SELECT string_agg(d.line, E'\n' ORDER BY d.line COLLATE "C") AS fresh FROM (:describe) d(line) \gset

\c exp_assign_catalog_upgraded
CREATE EXTENSION exp_assign VERSION '0.1';
ALTER EXTENSION exp_assign UPDATE;
SELECT string_agg(d.line, E'\n' ORDER BY d.line COLLATE "C") AS upgraded FROM (:describe) d(line) \gset

\c exp_assign_catalog_from_0_2
CREATE EXTENSION exp_assign VERSION '0.2';
ALTER EXTENSION exp_assign UPDATE;
SELECT string_agg(d.line, E'\n' ORDER BY d.line COLLATE "C") AS from_0_2 FROM (:describe) d(line) \gset

\c contrib_regression
DROP DATABASE exp_assign_catalog_fresh;
DROP DATABASE exp_assign_catalog_upgraded;
DROP DATABASE exp_assign_catalog_from_0_2;

-- What was compared: a count per kind of line, so a description that lost
-- a kind (or found nothing) shows here.
SELECT split_part(l, ':', 1) AS kind, count(*)
  FROM unnest(string_to_array(:'fresh', E'\n')) l WHERE l NOT LIKE 'function body: %' GROUP BY 1 ORDER BY 1;
SELECT count(*) > 400 AS function_bodies_described
  FROM unnest(string_to_array(:'fresh', E'\n')) l WHERE l LIKE 'function body: %';
-- Every line that one path has and the other has not: none.
SELECT 'only in a fresh 0.3' AS side, l AS line
  FROM (SELECT unnest(string_to_array(:'fresh', E'\n')) EXCEPT ALL
        SELECT unnest(string_to_array(:'upgraded', E'\n'))) f(l)
UNION ALL
SELECT 'only in 0.1 updated to 0.3', l
  FROM (SELECT unnest(string_to_array(:'upgraded', E'\n')) EXCEPT ALL
        SELECT unnest(string_to_array(:'fresh', E'\n'))) u(l)
UNION ALL
SELECT 'only in a fresh 0.3, not in 0.2 updated', l
  FROM (SELECT unnest(string_to_array(:'fresh', E'\n')) EXCEPT ALL
        SELECT unnest(string_to_array(:'from_0_2', E'\n'))) f(l)
UNION ALL
SELECT 'only in 0.2 updated to 0.3', l
  FROM (SELECT unnest(string_to_array(:'from_0_2', E'\n')) EXCEPT ALL
        SELECT unnest(string_to_array(:'fresh', E'\n'))) u(l)
ORDER BY 1, 2;
