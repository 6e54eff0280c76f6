// Reading the reply to CLUSTER SLOTS (worker/cluster_slots_reply.hpp) from
// hand-built hiredis reply trees: the shapes Redis sends and the malformed
// ones a server or a proxy in between could send.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "worker/cluster_slots_reply.hpp"

namespace exp_assign::redis {
namespace {

// Owns the nodes of a reply tree built by hand.
class Replies {
public:
	redisReply *Int(long long v)
	{
		redisReply *r = New(REDIS_REPLY_INTEGER);
		r->integer = v;
		return r;
	}
	redisReply *Str(const std::string &s)
	{
		strings_.push_back(s);
		redisReply *r = New(REDIS_REPLY_STRING);
		r->str = strings_.back().data();
		r->len = strings_.back().size();
		return r;
	}
	redisReply *Array(std::vector<redisReply *> elements)
	{
		arrays_.push_back(std::move(elements));
		redisReply *r = New(REDIS_REPLY_ARRAY);
		r->element = arrays_.back().data();
		r->elements = arrays_.back().size();
		return r;
	}
	// [first, last, [host, port, id]]
	redisReply *Range(long long first, long long last, const std::string &host, long long port)
	{
		return Array({Int(first), Int(last), Array({Str(host), Int(port), Str("id")})});
	}

private:
	redisReply *New(int type)
	{
		nodes_.emplace_back();
		redisReply *r = &nodes_.back();
		std::memset(r, 0, sizeof *r);
		r->type = type;
		return r;
	}
	std::deque<redisReply> nodes_;
	std::deque<std::string> strings_;
	std::deque<std::vector<redisReply *>> arrays_;
};

struct Parsed {
	bool ok;
	std::vector<MasterRange> ranges;
	std::string error;
};

Parsed Parse(const redisReply *reply)
{
	Parsed p;
	p.ranges.resize(reply != nullptr && reply->type == REDIS_REPLY_ARRAY ? reply->elements + 1 : 1);
	size_t n = 99;
	char error[256] = "";
	p.ok = ParseClusterSlots(reply, "10.1.1.1", p.ranges.data(), &n, error, sizeof error);
	p.ranges.resize(p.ok ? n : 0);
	p.error = error;
	return p;
}

TEST(ParseClusterSlots, TwoMastersWithSeveralRangesAndReplicas)
{
	Replies r;
	redisReply *replica = r.Array({r.Str("127.0.0.1"), r.Int(7003), r.Str("replica")});
	redisReply *first = r.Range(0, 5460, "127.0.0.1", 7001);
	first->elements = 3;  // the replica below is a fourth element
	redisReply *with_replica = r.Array({first->element[0], first->element[1], first->element[2], replica});
	redisReply *reply = r.Array(
		{with_replica, r.Range(5461, 10922, "127.0.0.2", 7002), r.Range(10923, 16383, "127.0.0.1", 7001)});
	Parsed p = Parse(reply);
	ASSERT_TRUE(p.ok) << p.error;
	ASSERT_EQ(p.ranges.size(), 3u);
	EXPECT_EQ(p.ranges[0].first, 0);
	EXPECT_EQ(p.ranges[0].last, 5460);
	EXPECT_STREQ(p.ranges[0].host, "127.0.0.1");
	EXPECT_EQ(p.ranges[0].port, 7001);
	EXPECT_STREQ(p.ranges[1].host, "127.0.0.2");
	EXPECT_EQ(p.ranges[1].port, 7002);
	EXPECT_EQ(p.ranges[2].first, 10923);
	EXPECT_EQ(p.ranges[2].last, 16383);
}

TEST(ParseClusterSlots, AnEmptyHostMeansTheSeed)
{
	Replies r;
	Parsed p = Parse(r.Array({r.Range(0, 16383, "", 6379)}));
	ASSERT_TRUE(p.ok) << p.error;
	EXPECT_STREQ(p.ranges[0].host, "10.1.1.1");
}

TEST(ParseClusterSlots, NoRangeIsAnEmptyList)
{
	Replies r;
	Parsed p = Parse(r.Array({}));
	EXPECT_TRUE(p.ok);
	EXPECT_TRUE(p.ranges.empty());
}

TEST(ParseClusterSlots, MalformedRepliesAreRefusedWithTheElement)
{
	Replies r;
	std::vector<redisReply *> bad = {
		r.Array({r.Int(0), r.Int(10)}),  // no master
		r.Array({r.Str("0"), r.Int(10), r.Array({r.Str("h"), r.Int(1)})}),  // slot as a string
		r.Array({r.Int(0), r.Int(10), r.Str("h:1")}),  // master not an array
		r.Array({r.Int(0), r.Int(10), r.Array({r.Str("h")})}),  // no port
		r.Array({r.Int(0), r.Int(10), r.Array({r.Int(1), r.Int(1)})}),  // host not a string
		r.Range(10, 5, "h", 1),  // last before first
		r.Range(-1, 5, "h", 1),  // negative slot
		r.Range(0, 16384, "h", 1),  // past the last slot
		r.Range(0, 5, "h", 0),  // no port
		r.Range(0, 5, "h", 70000),  // port out of range
		r.Range(0, 5, std::string(300, 'h'), 1),  // host too long for the buffer
		r.Int(3),  // not an array at all
	};
	for (size_t i = 0; i < bad.size(); i++) {
		Parsed p = Parse(r.Array({r.Range(0, 100, "good", 1), bad[i]}));
		EXPECT_FALSE(p.ok) << "case " << i;
		EXPECT_NE(p.error.find("element 1"), std::string::npos) << "case " << i << ": " << p.error;
	}
	Parsed top = Parse(r.Int(1));
	EXPECT_FALSE(top.ok);
	EXPECT_NE(top.error.find("not an array"), std::string::npos);
	EXPECT_FALSE(Parse(nullptr).ok);
}

}  // namespace
}  // namespace exp_assign::redis
