"""test/lib/proxy_cluster.py: a PL/Proxy set-up in the cluster the PG*
variables name, for the tests of exp_assign_proxy: shard databases with
exp_assign, a proxy database with exp_assign_proxy whose SQL/MED server
'exp_assign' names them as partitions p0, p1, ... Uses Debian's
python3-psycopg."""
import os

import psycopg


def create(prefix, shards, catalog_sql=None):
    """Creates <prefix>_s0 .. _s<shards-1> (exp_assign, then catalog_sql if
    given) and <prefix>_proxy, dropping them first. Returns (shard database
    names, proxy database name)."""
    shard_dbs = [f"{prefix}_s{i}" for i in range(shards)]
    proxy_db = f"{prefix}_proxy"
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        for db in shard_dbs + [proxy_db]:
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {db}")
    for db in shard_dbs:
        with psycopg.connect(dbname=db, autocommit=True) as c:
            c.execute("CREATE EXTENSION exp_assign")
            if catalog_sql:
                c.execute(catalog_sql)
    host, port = os.environ.get("PGHOST", "/tmp"), os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    partitions = ", ".join(f"p{i} 'dbname={db} host={host} port={port}'" for i, db in enumerate(shard_dbs))
    with psycopg.connect(dbname=proxy_db, autocommit=True) as c:
        c.execute("SET client_min_messages = warning")
        c.execute("CREATE EXTENSION exp_assign_proxy CASCADE")
        c.execute(f"CREATE SERVER exp_assign FOREIGN DATA WRAPPER plproxy OPTIONS ({partitions})")
        c.execute(f"CREATE USER MAPPING FOR PUBLIC SERVER exp_assign OPTIONS (user '{user}')")
    return shard_dbs, proxy_db
