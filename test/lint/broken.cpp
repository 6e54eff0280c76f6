// Not part of the build: test/run-all's self-test lints this file with
// EXP_ASSIGN_BREAK=1 to show that `make lint` fails on a finding.
double Half(int n)
{
	return n / 2;  // bugprone-integer-division: the fraction is lost
}
