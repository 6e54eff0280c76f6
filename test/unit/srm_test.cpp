// Sample ratio mismatch against scipy.stats.chisquare
// (test/unit/vectors/srm_scipy.tsv, printed by tools/srm-vectors) and the
// chi-square tail against closed forms.
#include <gtest/gtest.h>

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/srm.hpp"
#include "table.hpp"

namespace exp_assign {
namespace {

using unit::Table;
using unit::TableRow;

// The agreement issue #10 asks of the p-values, and of the statistic.
constexpr double kTolerance = 1e-9;

std::vector<std::string_view> Split(std::string_view list)
{
	std::vector<std::string_view> out;
	while (true) {
		size_t comma = list.find(',');
		out.push_back(list.substr(0, comma));
		if (comma == std::string_view::npos)
			return out;
		list = list.substr(comma + 1);
	}
}

int64_t ToInt64(std::string_view field)
{
	int64_t out = 0;
	auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
	EXPECT_TRUE(ec == std::errc() && ptr == field.data() + field.size()) << "not an integer: " << field;
	return out;
}

// strtod, which rounds a decimal correctly, as PostgreSQL's float8in does.
double ToDouble(std::string_view field)
{
	std::string text(field);
	char *end = nullptr;
	double out = std::strtod(text.c_str(), &end);
	EXPECT_TRUE(!text.empty() && *end == '\0') << "not a number: " << field;
	return out;
}

double RelativeError(double got, double want)
{
	if (got == want)
		return 0;
	return std::fabs(got - want) / std::fabs(want);
}

TEST(SrmVectors, MatchScipy)
{
	Table table;
	std::string error;
	ASSERT_TRUE(unit::LoadTable(
		"srm_scipy.tsv", {"observed", "expected_share", "chi_square", "df", "p_value"}, &table, &error))
		<< error;
	ASSERT_GE(table.rows.size(), 150u);
	size_t o = table.Column("observed"), s = table.Column("expected_share"), c = table.Column("chi_square"),
		   d = table.Column("df"), p = table.Column("p_value");
	double worst_chi = 0, worst_p = 0, smallest_p = 1;
	size_t tiny = 0;
	std::string worst_chi_at = "-", worst_p_at = "-";
	for (const TableRow &row : table.rows) {
		std::vector<int64_t> observed;
		std::vector<double> shares;
		for (std::string_view field : Split(row.fields[o]))
			observed.push_back(ToInt64(field));
		for (std::string_view field : Split(row.fields[s]))
			shares.push_back(ToDouble(field));
		ASSERT_EQ(observed.size(), shares.size()) << table.Where(row);
		SrmResult result = ComputeSrm(observed.data(), shares.data(), observed.size());
		double chi_square = ToDouble(row.fields[c]), p_value = ToDouble(row.fields[p]);
		EXPECT_EQ(result.df, ToInt64(row.fields[d])) << table.Where(row);
		EXPECT_LE(RelativeError(result.chi_square, chi_square), kTolerance)
			<< table.Where(row) << ": chi_square " << result.chi_square << ", scipy " << chi_square;
		EXPECT_LE(RelativeError(result.p_value, p_value), kTolerance)
			<< table.Where(row) << ": p_value " << result.p_value << ", scipy " << p_value;
		EXPECT_EQ(result.srm, p_value < kSrmThreshold) << table.Where(row);
		if (RelativeError(result.chi_square, chi_square) > worst_chi) {
			worst_chi = RelativeError(result.chi_square, chi_square);
			worst_chi_at = table.Where(row);
		}
		if (RelativeError(result.p_value, p_value) > worst_p) {
			worst_p = RelativeError(result.p_value, p_value);
			worst_p_at = table.Where(row);
		}
		smallest_p = std::min(smallest_p, p_value);
		tiny += p_value < 1e-10;
	}
	// The table must reach the tail the issue names, not only p near 1.
	EXPECT_LT(smallest_p, 1e-299);
	EXPECT_GE(tiny, 50u);
	std::printf("srm_scipy.tsv: %zu cases; largest relative error: chi_square %.3g (%s), p_value %.3g "
				"(%s); smallest p %.17g\n",
				table.rows.size(), worst_chi, worst_chi_at.c_str(), worst_p, worst_p_at.c_str(), smallest_p);
}

TEST(Srm, NoUsersOrOneVariant)
{
	const int64_t none[] = {0, 0, 0};
	const double thirds[] = {1, 1, 1};
	SrmResult r = ComputeSrm(none, thirds, 3);
	EXPECT_EQ(r.chi_square, 0.0);
	EXPECT_EQ(r.df, 2);
	EXPECT_EQ(r.p_value, 1.0);
	EXPECT_FALSE(r.srm);

	const int64_t one[] = {12345};
	const double all[] = {100};
	r = ComputeSrm(one, all, 1);
	EXPECT_EQ(r.chi_square, 0.0);
	EXPECT_EQ(r.df, 0);
	EXPECT_EQ(r.p_value, 1.0);
	EXPECT_FALSE(r.srm);

	r = ComputeSrm(nullptr, nullptr, 0);
	EXPECT_EQ(r.chi_square, 0.0);
	EXPECT_EQ(r.df, 0);
	EXPECT_EQ(r.p_value, 1.0);
	EXPECT_FALSE(r.srm);
}

TEST(Srm, ZeroShareVariant)
{
	// Without users it is outside the test: the same as the two others alone.
	const int64_t with_empty[] = {5200, 0, 4800};
	const double shares[] = {50, 0, 50};
	const int64_t two[] = {5200, 4800};
	const double halves[] = {0.5, 0.5};
	SrmResult a = ComputeSrm(with_empty, shares, 3), b = ComputeSrm(two, halves, 2);
	EXPECT_EQ(a.df, 1);
	EXPECT_EQ(a.chi_square, b.chi_square);
	EXPECT_EQ(a.p_value, b.p_value);
	EXPECT_DOUBLE_EQ(a.chi_square, 16.0);  // 2 * 200^2 / 5000
	EXPECT_TRUE(a.srm);

	// With users the split is broken, however well the rest fits.
	const int64_t stray[] = {5000, 1, 5000};
	SrmResult c = ComputeSrm(stray, shares, 3);
	EXPECT_EQ(c.chi_square, std::numeric_limits<double>::infinity());
	EXPECT_EQ(c.df, 1);
	EXPECT_EQ(c.p_value, 0.0);
	EXPECT_TRUE(c.srm);

	// Even when only one variant is left to test.
	const int64_t lone[] = {10, 3};
	const double only_first[] = {1, 0};
	SrmResult d = ComputeSrm(lone, only_first, 2);
	EXPECT_EQ(d.df, 0);
	EXPECT_TRUE(d.srm);
	EXPECT_EQ(d.p_value, 0.0);
	const int64_t lone_ok[] = {10, 0};
	d = ComputeSrm(lone_ok, only_first, 2);
	EXPECT_FALSE(d.srm);
	EXPECT_EQ(d.p_value, 1.0);
}

TEST(Srm, ThresholdAtOneInAThousand)
{
	EXPECT_EQ(kSrmThreshold, 0.001);
	// 50/50 of 10,000 users moved by D: chi_square = 4 D^2 / 10000, and
	// chi2.isf(0.001, 1) = 10.8276 falls between D = 164 and D = 165.
	const double halves[] = {1, 1};
	const int64_t below[] = {5164, 4836}, above[] = {5165, 4835};
	SrmResult a = ComputeSrm(below, halves, 2), b = ComputeSrm(above, halves, 2);
	EXPECT_DOUBLE_EQ(a.chi_square, 4.0 * 164 * 164 / 10000);
	EXPECT_DOUBLE_EQ(b.chi_square, 4.0 * 165 * 165 / 10000);
	EXPECT_GT(a.p_value, 0.001);
	EXPECT_LT(b.p_value, 0.001);
	EXPECT_FALSE(a.srm);
	EXPECT_TRUE(b.srm);
	EXPECT_NEAR(a.p_value / std::erfc(std::sqrt(a.chi_square / 2)), 1.0, 1e-13);
	EXPECT_NEAR(b.p_value / std::erfc(std::sqrt(b.chi_square / 2)), 1.0, 1e-13);
}

TEST(Srm, SharesAreWeights)
{
	const int64_t observed[] = {1000, 2100, 2900};
	const double percent[] = {16.5, 33.5, 50}, weights[] = {33, 67, 100};
	SrmResult a = ComputeSrm(observed, percent, 3), b = ComputeSrm(observed, weights, 3);
	EXPECT_NEAR(a.chi_square / b.chi_square, 1.0, 1e-15);
	EXPECT_NEAR(a.p_value / b.p_value, 1.0, 1e-14);
}

TEST(Srm, LargeCountsStayExact)
{
	// 20 variants of 10^8 users, one moved by a single user each way: the
	// statistic is 2 / 10^8, which summing in double would blur.
	std::vector<int64_t> observed(20, 100000000);
	std::vector<double> shares(20, 5);
	observed[0] += 1;
	observed[19] -= 1;
	SrmResult r = ComputeSrm(observed.data(), shares.data(), observed.size());
	EXPECT_NEAR(r.chi_square / 2e-8, 1.0, 1e-9);
	EXPECT_EQ(r.df, 19);
	EXPECT_FALSE(r.srm);
}

TEST(Srm, BadInputIsNaN)
{
	const int64_t negative[] = {10, -1};
	const double halves[] = {1, 1};
	SrmResult r = ComputeSrm(negative, halves, 2);
	EXPECT_TRUE(std::isnan(r.chi_square));
	EXPECT_TRUE(std::isnan(r.p_value));
	EXPECT_FALSE(r.srm);
	const int64_t observed[] = {10, 10};
	const double bad[][2] = {
		{1, -1}, {1, std::numeric_limits<double>::quiet_NaN()}, {1, std::numeric_limits<double>::infinity()}};
	for (const auto &shares : bad) {
		r = ComputeSrm(observed, shares, 2);
		EXPECT_TRUE(std::isnan(r.p_value)) << shares[1];
		EXPECT_FALSE(r.srm) << shares[1];
	}
}

// Closed forms of Q(df / 2, x / 2) for small df.
double TwoDf(double x)
{
	return std::exp(-x / 2);
}
double OneDf(double x)
{
	return std::erfc(std::sqrt(x / 2));
}
double ThreeDf(double x)
{
	return std::erfc(std::sqrt(x / 2)) + std::sqrt(2 * x / M_PI) * std::exp(-x / 2);
}
double FourDf(double x)
{
	return std::exp(-x / 2) * (1 + x / 2);
}

// Q(n, x / 2) for df = 2n: exp(-x / 2) times the first n terms of exp(x / 2),
// all positive, summed in long double.
double EvenDf(double x, int n)
{
	long double term = 1, sum = 1;
	for (int k = 1; k < n; k++) {
		term *= static_cast<long double>(x) / 2 / k;
		sum += term;
	}
	return static_cast<double>(std::exp(-static_cast<long double>(x) / 2) * sum);
}

TEST(ChiSquareSurvival, ClosedForms)
{
	// Both sides of the switch from series to continued fraction (x = df + 2),
	// and the tail down to p near 1e-300 and below.
	const double xs[] = {1e-12, 1e-6, 0.01, 0.5, 1,   2.9999, 3,    3.0001, 3.9999, 4,    4.0001, 5,   5.9999,
						 6,     10,   30,   100, 300, 700,    1000, 1300,   1370,   1382, 1400,   1410};
	for (double x : xs) {
		EXPECT_NEAR(ChiSquareSurvival(x, 2) / TwoDf(x), 1.0, 1e-13) << "df 2, x " << x;
		EXPECT_NEAR(ChiSquareSurvival(x, 1) / OneDf(x), 1.0, 1e-13) << "df 1, x " << x;
		EXPECT_NEAR(ChiSquareSurvival(x, 4) / FourDf(x), 1.0, 1e-13) << "df 4, x " << x;
		if (x > 1e-6) {  // the sum's 1 absorbs erfc's complement below that
			EXPECT_NEAR(ChiSquareSurvival(x, 3) / ThreeDf(x), 1.0, 1e-12) << "df 3, x " << x;
		}
	}
	// The widest split, 20 variants, and beyond.
	for (int n : {5, 10, 20}) {
		for (double x : {0.1, 5.0, 19.0, 20.0, 21.0, 22.0, 39.9, 40.1, 100.0, 500.0, 1000.0, 1300.0, 1450.0})
			EXPECT_NEAR(ChiSquareSurvival(x, 2 * n) / EvenDf(x, n), 1.0, 1e-13)
				<< "df " << 2 * n << ", x " << x;
	}
	EXPECT_LT(ChiSquareSurvival(1382, 2), 1e-300);
	EXPECT_GT(ChiSquareSurvival(1382, 2), 1e-301);
	EXPECT_LT(ChiSquareSurvival(1400, 1), 1e-300);
}

TEST(ChiSquareSurvival, EndsAndUnderflow)
{
	EXPECT_EQ(ChiSquareSurvival(0, 1), 1.0);
	EXPECT_EQ(ChiSquareSurvival(-3, 5), 1.0);
	EXPECT_EQ(ChiSquareSurvival(std::numeric_limits<double>::infinity(), 3), 0.0);
	// Subnormal results are kept as far as a double can; 0 only past them.
	EXPECT_NEAR(ChiSquareSurvival(1480, 2), std::exp(-740.0), DBL_TRUE_MIN);
	EXPECT_GT(ChiSquareSurvival(1480, 2), 0.0);
	EXPECT_EQ(ChiSquareSurvival(1500, 2), 0.0);  // exp(-750) < DBL_TRUE_MIN / 2
	EXPECT_EQ(ChiSquareSurvival(1e6, 1), 0.0);
	EXPECT_EQ(ChiSquareSurvival(1e300, 19), 0.0);
	EXPECT_EQ(ChiSquareSurvival(DBL_MAX, 7), 0.0);
	// df beyond any split still works: the mean of chi-square(df) is df.
	EXPECT_NEAR(ChiSquareSurvival(1e6, 1e6), 0.5, 1e-3);
	EXPECT_TRUE(std::isnan(ChiSquareSurvival(1, 0)));
	EXPECT_TRUE(std::isnan(ChiSquareSurvival(1, -2)));
	EXPECT_TRUE(std::isnan(ChiSquareSurvival(1, std::numeric_limits<double>::infinity())));
	EXPECT_TRUE(std::isnan(ChiSquareSurvival(std::numeric_limits<double>::quiet_NaN(), 2)));
	EXPECT_TRUE(std::isnan(ChiSquareSurvival(1, std::numeric_limits<double>::quiet_NaN())));
}

}  // namespace
}  // namespace exp_assign
