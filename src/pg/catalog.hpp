// Experiments and their variants: what the rule needs to know of them.
#pragma once

#include "pg/postgres.hpp"

#include "core/bucket.hpp"
#include "core/decide.hpp"

namespace exp_assign::pg {

enum class Status : char { kDraft, kActive, kPaused, kStopped };

struct Experiment {
	int32 id;
	Status status;
	HashProfile profile;
	int32 version;
	Datum key;  // text
	Datum status_text;  // text
	Datum profile_text;  // text
	Datum seed_text;  // text, database encoding
	const char *seed;  // UTF-8, whatever the database encoding
	int seed_len;
	int nvariants;  // in ascending id, as the rule orders them
	int32 *variant_ids;
	Datum *variant_keys;  // text
	int32 *basis_points;  // round(allocation_pct * 100)
	int64 *bounds;  // running sums of basis_points
	int32 *weights;  // variants.weight ('unleash')
	int32 rollout_pct;  // 'unleash'
	int32 layer_id;  // 0: in no layer
	Datum layer_key;  // text, when layer_id
	int32 layer_start, layer_end;
	int32 holdout_id;  // 0: no holdout
	Datum holdout_key;  // text, when holdout_id
	bool has_overrides;  // only these experiments are looked up in overrides
	ExperimentRule rule;  // the above as the core's decision reads it (UTF-8 seeds)
};

struct Catalog {
	int count;
	Experiment *experiments;  // ascending id

	const Experiment *Find(int32 id) const;
};

// The experiments a call needs: at least those among ids (any order,
// repeats allowed) that exist. Must run inside SPI_connect; the result stays valid
// at least until SPI_finish.
//
// Under READ COMMITTED it is a per-backend cache of every experiment,
// reloaded (with the latest snapshot) after any change to experiments or
// variants: statement triggers send a relcache invalidation, which reaches
// this backend at the end of its own changing command, and other backends
// when the change commits. Other isolation levels, and parallel mode, read
// the requested ids in the transaction's snapshot instead.
Catalog LoadCatalog(const int32 *ids, int count);

// The experiments among ids as the current snapshot sees them, never the
// cache. For the push worker: a committing backend sends its invalidation
// only after its rows became visible (and after the commit woke the
// worker), so the cache may still predate the very change being delivered.
Catalog LoadCatalogInSnapshot(const int32 *ids, int count);

// Registers the invalidation callback; from _PG_init.
void InstallCatalogInvalidation();

// The key of variant_id in experiment, or (Datum) 0 when it is not one of its variants.
Datum VariantKey(const Experiment &experiment, int32 variant_id);

// Raises 42704 for an experiment id that does not exist (explain and admin calls).
[[noreturn]] void RaiseUnknownExperiment(int32 id);

}  // namespace exp_assign::pg
