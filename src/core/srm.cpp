#include "core/srm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/core_only.hpp"

namespace exp_assign {

namespace {

using Wide = long double;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr Wide kEpsilon = std::numeric_limits<Wide>::epsilon();
// Lentz's guard against a zero denominator: far below any term, far above
// the smallest long double.
constexpr Wide kTiny = 1e-300L;
// Both expansions need about 10 * sqrt(a) terms near x = a; this bound
// stops a pathological a without cutting short any df the test meets.
constexpr int kMaxTerms = 100000;

// log(x^a e^-x / Gamma(a)), the factor both expansions share. Kept as a
// logarithm so that Q near 1e-300 (a ln x - x near -690) is not built from a
// power that overflows and an exponential that underflows. In long double
// (64-bit mantissa on x86-64, 113 on aarch64) its absolute error, about
// |a ln x - x| * 1e-19, is far below a double's ulp, so exp() of it keeps a
// double's full relative precision.
Wide LogPrefactor(Wide a, Wide x) noexcept
{
	return a * std::log(x) - x - std::lgamma(a);
}

// P(a, x) by its power series, which converges fast for x < a + 1 (each term
// is the one before times x / (a + n) < 1). There, for df >= 1, Q = 1 - P is
// at least about 0.08 (a = 1/2, x = 3/2), so the subtraction loses no
// relative precision worth counting; for df < 1 it loses digits as Q -> 0.
Wide LowerSeries(Wide a, Wide x) noexcept
{
	Wide term = 1 / a, sum = term;
	for (int n = 1; n <= kMaxTerms; n++) {
		term *= x / (a + n);
		sum += term;
		if (term < sum * kEpsilon)
			break;
	}
	return std::exp(LogPrefactor(a, x) + std::log(sum));
}

// Q(a, x) by Legendre's continued fraction, evaluated with the modified
// Lentz method (Numerical Recipes 6.2): it converges fast for x >= a + 1,
// exactly where the series would need many terms and 1 - P would cancel.
Wide UpperFraction(Wide a, Wide x) noexcept
{
	Wide b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
	for (int i = 1; i <= kMaxTerms; i++) {
		Wide an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (std::fabs(d) < kTiny)
			d = kTiny;
		c = b + an / c;
		if (std::fabs(c) < kTiny)
			c = kTiny;
		d = 1 / d;
		Wide delta = d * c;
		h *= delta;
		if (std::fabs(delta - 1) <= kEpsilon)
			break;
	}
	return std::exp(LogPrefactor(a, x) + std::log(h));
}

}  // namespace

double ChiSquareSurvival(double chi_square, double df) noexcept
{
	if (std::isnan(chi_square) || !(df > 0) || std::isinf(df))
		return kNaN;
	if (chi_square <= 0)
		return 1.0;
	if (std::isinf(chi_square))
		return 0.0;
	Wide a = static_cast<Wide>(df) / 2, x = static_cast<Wide>(chi_square) / 2;
	// The conversion to double is where a value below the smallest
	// subnormal becomes 0, and only there.
	if (x < a + 1)
		return static_cast<double>(1 - LowerSeries(a, x));
	return static_cast<double>(UpperFraction(a, x));
}

SrmResult ComputeSrm(const int64_t *observed, const double *expected_share, size_t n) noexcept
{
	// Counts and weights are summed in long double: a total of 20 variants of
	// 10^8 users is exact there (up to 2^64), and each expected count
	// total * share / sum carries a relative error near 1e-19, so o - e keeps
	// about 10 more digits than a double would give for e near 10^8.
	Wide total = 0, share_sum = 0;
	size_t positive = 0;
	bool stray = false;
	for (size_t i = 0; i < n; i++) {
		double share = expected_share[i];
		if (observed[i] < 0 || !(share >= 0) || std::isinf(share))
			return {kNaN, 0, kNaN, false};
		total += observed[i];
		if (share > 0) {
			share_sum += share;
			positive++;
		} else if (observed[i] > 0) {
			stray = true;
		}
	}
	int32_t df = positive > 1 ? static_cast<int32_t>(std::min<size_t>(positive - 1, INT32_MAX)) : 0;
	// Users in a variant that should get none are a broken split, however
	// well the others fit; no finite statistic says that.
	if (stray)
		return {std::numeric_limits<double>::infinity(), df, 0.0, true};
	if (df < 1 || total == 0)
		return {0.0, df, 1.0, false};
	// Pearson's statistic, as scipy.stats.chisquare computes it (not the
	// G-test or a continuity correction), so the p-values agree with the
	// tool analysts check them with.
	Wide chi_square = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(expected_share[i] > 0))
			continue;
		Wide expected = total * expected_share[i] / share_sum;
		Wide diff = observed[i] - expected;
		chi_square += diff * diff / expected;
	}
	double statistic = static_cast<double>(chi_square);
	double p_value = ChiSquareSurvival(statistic, df);
	return {statistic, df, p_value, p_value < kSrmThreshold};
}

}  // namespace exp_assign
