"""BulkAssignmentService: the seed service's three methods, answered by exp_assign.

Reads Redis first, with one MGET per call, then makes one exp_assign call for
the misses. It never writes Redis: exp_assign's push worker delivers every
committed assignment there (docs/redis.md), so a value written here could
only race the worker's and be older than it. A Redis that cannot be reached
counts as all misses, so the answer comes from SQL and the call succeeds.

Values have the shape of the Redis value (docs/redis.md):
    {"variant_id": 3, "variant_key": "treatment", "version": 2,
     "assigned_at": "2026-11-24T08:00:00Z"}
whether they came from Redis or from SQL, so a caller cannot tell the two
apart. assigned_at is whole seconds in UTC, as the worker writes it.
"""
import json
import logging
from datetime import datetime, timezone
from typing import Dict, List, Optional, Sequence, Tuple

log = logging.getLogger("exp_assign_client")

# Errors that mean "Redis cannot answer now": every one falls back to SQL.
try:
    from redis.exceptions import RedisError as _RedisError
except ImportError:  # redis-py missing: the client still works without a cache
    _RedisError = OSError
_REDIS_DOWN = (_RedisError, OSError, TimeoutError)

_COLUMNS = "user_id, experiment_id, variant_id, variant_key, version, assigned_at"


def redis_key(experiment_id: int, user_id: str, prefix: str = "assign", layout: str = "plain") -> bytes:
    """The key the push worker writes for a pair (exp_assign.redis_key_layout)."""
    user = user_id.encode("utf-8")
    if layout == "cluster":
        return b"%s:{%s}:%d" % (prefix.encode(), user, experiment_id)
    return b"%s:%d:%s" % (prefix.encode(), experiment_id, user)


def _assigned_at_text(value: datetime) -> str:
    # asyncpg decodes 'infinity' and '-infinity' to datetime.max and .min.
    if value.replace(tzinfo=None) == datetime.max:
        return "infinity"
    if value.replace(tzinfo=None) == datetime.min:
        return "-infinity"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def assignment_value(row) -> dict:
    """A row of an exp_assign get-or-create function as the Redis value."""
    return {
        "variant_id": row["variant_id"],
        "variant_key": row["variant_key"],
        "version": row["version"],
        "assigned_at": _assigned_at_text(row["assigned_at"]),
    }


class BulkAssignmentService:
    """The seed's BulkAssignmentService on exp_assign.

    redis_client: a redis.asyncio.Redis (or RedisCluster with
    key_layout="cluster"), or None for no cache. db: an asyncpg pool or
    connection to the database exp_assign serves. key_prefix and key_layout
    must match exp_assign.redis_key_prefix and exp_assign.redis_key_layout.
    """

    def __init__(self, redis_client, db, key_prefix: str = "assign", key_layout: str = "plain",
                 schema: str = "exp_assign"):
        if key_layout not in ("plain", "cluster"):
            raise ValueError("key_layout must be 'plain' or 'cluster', as exp_assign.redis_key_layout")
        self.redis = redis_client
        self.db = db
        self.key_prefix = key_prefix
        self.key_layout = key_layout
        # Schema-qualified calls: the caller's search_path never matters.
        q = '"%s"' % schema.replace('"', '""')
        self._sql_user = "SELECT %s FROM %s.exp_assign_user($1::text, $2::int[])" % (_COLUMNS, q)
        self._sql_cohort = "SELECT %s FROM %s.exp_assign_cohort($1::int, $2::text[])" % (_COLUMNS, q)
        self._sql_bulk = "SELECT %s FROM %s.exp_assign_bulk($1::text[], $2::int[])" % (_COLUMNS, q)

    # -- the seed's three methods ------------------------------------------------

    async def bulk_get_assignments_single_user(self, user_id: str, experiment_ids: List[int]) -> Dict[int, dict]:
        """Page load: {experiment_id: value} for the experiments that assign the user."""
        ids = list(dict.fromkeys(experiment_ids))
        cached = await self._mget([self._key(e, user_id) for e in ids])
        found = {e: v for e, v in zip(ids, cached) if v is not None}
        missing = [e for e in ids if e not in found]
        if missing:
            for row in await self.db.fetch(self._sql_user, user_id, missing):
                found[row["experiment_id"]] = assignment_value(row)
        return found

    async def bulk_get_assignments_multiple_users(self, user_ids: List[str], experiment_id: int) -> Dict[str, dict]:
        """Cohort: {user_id: value} for the users the experiment assigns."""
        users = list(dict.fromkeys(user_ids))
        cached = await self._mget([self._key(experiment_id, u) for u in users])
        found = {u: v for u, v in zip(users, cached) if v is not None}
        missing = [u for u in users if u not in found]
        if missing:
            for row in await self.db.fetch(self._sql_cohort, experiment_id, missing):
                found[row["user_id"]] = assignment_value(row)
        return found

    async def bulk_matrix_assignments(self, user_ids: List[str],
                                      experiment_ids: List[int]) -> Dict[Tuple[str, int], dict]:
        """Matrix: {(user_id, experiment_id): value} for every pair that resolves."""
        pairs = [(u, e) for u in dict.fromkeys(user_ids) for e in dict.fromkeys(experiment_ids)]
        cached = await self._mget([self._key(e, u) for u, e in pairs])
        found = {p: v for p, v in zip(pairs, cached) if v is not None}
        missing = [p for p in pairs if p not in found]
        if missing:
            rows = await self.db.fetch(self._sql_bulk, [u for u, _ in missing], [e for _, e in missing])
            for row in rows:
                found[(row["user_id"], row["experiment_id"])] = assignment_value(row)
        return found

    # -- Redis, read only ---------------------------------------------------------

    def _key(self, experiment_id: int, user_id: str) -> bytes:
        return redis_key(experiment_id, user_id, self.key_prefix, self.key_layout)

    async def _mget(self, keys: Sequence[bytes]) -> List[Optional[dict]]:
        """One MGET of keys, decoded; all None when Redis is absent or down."""
        if self.redis is None or not keys:
            return [None] * len(keys)
        try:
            # A cluster splits a multi-slot MGET by slot (one MGET per slot);
            # one user's keys share a slot under the cluster layout.
            mget = getattr(self.redis, "mget_nonatomic", None) or self.redis.mget
            raw = await mget(list(keys))
        except _REDIS_DOWN as e:
            log.warning("exp_assign_client: Redis unavailable, answering from SQL: %s", e)
            return [None] * len(keys)
        return [self._decode(v) for v in raw]

    @staticmethod
    def _decode(raw) -> Optional[dict]:
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None  # not a value the worker wrote: ask SQL
        return value if isinstance(value, dict) and "variant_id" in value else None
