// Sample ratio mismatch: Pearson's chi-square test of a split's observed
// counts against its configured shares, the check experimentation platforms
// run before trusting a result. Matches scipy.stats.chisquare.
#pragma once

#include <cstddef>
#include <cstdint>

namespace exp_assign {

// The p-value under which a split is flagged: the threshold the peers
// (Optimizely, GrowthBook, Statsig, Eppo) alert on.
constexpr double kSrmThreshold = 0.001;

// P(X > chi_square) for X chi-square distributed with df degrees of freedom,
// scipy.stats.chi2.sf(chi_square, df): the regularized upper incomplete gamma
// Q(df / 2, chi_square / 2). For df >= 1, full double relative precision
// down to the smallest doubles; 0 only where the true value underflows a
// double.
// chi_square <= 0 gives 1, +inf gives 0; df <= 0, df infinite or either
// argument NaN gives NaN. Accurate and fast for df up to about 10^6.
double ChiSquareSurvival(double chi_square, double df) noexcept;

struct SrmResult {
	double chi_square;
	int32_t df;
	double p_value;
	bool srm;
};

// The test over n variants: observed[i] users seen in variant i, whose
// configured weight is expected_share[i] (non-negative, need not sum to 1).
// Variant i is expected to have total * share_i / sum(shares) users.
// - Variants of share 0 are outside the test (no term, no degree of
//   freedom), unless they have users: then the split is broken whatever the
//   rest says: chi_square +inf, p_value 0, srm true.
// - df is the count of variants with share > 0, minus 1 (never below 0).
//   When it is below 1, or no user was observed: chi_square 0, p_value 1,
//   srm false.
// - A negative count or a negative, infinite or NaN share is not an input:
//   it gives chi_square and p_value NaN, df 0, srm false (callers check
//   their input first). With n 0 the arrays may be null.
SrmResult ComputeSrm(const int64_t *observed, const double *expected_share, size_t n) noexcept;

}  // namespace exp_assign
