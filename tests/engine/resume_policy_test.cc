#include "engine/resume_policy.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

Task WithSession(TaskStatus status, ErrorType last_error) {
  Task t;
  t.id = "task-1";
  t.status = status;
  t.error_type = last_error;
  t.session_id = "sess-1";
  return t;
}

TEST(ResumePolicy, ParsesEveryModeAndRefusesOthers) {
  ResumeMode m = ResumeMode::kNever;
  EXPECT_TRUE(ParseResumeMode("always", &m).ok());
  EXPECT_EQ(m, ResumeMode::kAlways);
  EXPECT_TRUE(ParseResumeMode("on_retry", &m).ok());
  EXPECT_EQ(m, ResumeMode::kOnRetry);
  EXPECT_TRUE(ParseResumeMode("on_reply", &m).ok());
  EXPECT_EQ(m, ResumeMode::kOnReply);
  EXPECT_TRUE(ParseResumeMode("never", &m).ok());
  EXPECT_EQ(m, ResumeMode::kNever);
  Status s = ParseResumeMode("sometimes", &m);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("on_reply"), std::string::npos);
}

TEST(ResumePolicy, OnReplyResumesRetriesOfInterruptedSessionsOnly) {
  for (ErrorType e :
       {ErrorType::kTimeoutError, ErrorType::kTimeout, ErrorType::kCrash, ErrorType::kLost}) {
    EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kRetrying, e), ResumeMode::kOnReply, true),
              "sess-1")
        << ToString(e);
  }
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kRetrying, ErrorType::kApiError),
                            ResumeMode::kOnReply, true),
            "");
  // `execute` of a finished task is not a retry.
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kFailed, ErrorType::kTimeoutError),
                            ResumeMode::kOnReply, true),
            "");
}

TEST(ResumePolicy, OnRetryResumesEveryRetry) {
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kRetrying, ErrorType::kApiError),
                            ResumeMode::kOnRetry, true),
            "sess-1");
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kPending, ErrorType::kNone),
                            ResumeMode::kOnRetry, true),
            "");
}

TEST(ResumePolicy, AlwaysResumesAnyTaskWithASession) {
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kCompleted, ErrorType::kNone),
                            ResumeMode::kAlways, true),
            "sess-1");
  Task fresh = WithSession(TaskStatus::kPending, ErrorType::kNone);
  fresh.session_id.clear();
  EXPECT_EQ(SessionToResume(fresh, ResumeMode::kAlways, true), "");
}

TEST(ResumePolicy, NeverWhenRefusedUnableOrOff) {
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kRetrying, ErrorType::kSessionNotFound),
                            ResumeMode::kAlways, true),
            "");
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kRetrying, ErrorType::kTimeoutError),
                            ResumeMode::kAlways, /*can_resume=*/false),
            "");
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kRetrying, ErrorType::kTimeoutError),
                            ResumeMode::kNever, true),
            "");
}

}  // namespace
// After a person answered, the next attempt continues the session that
// asked (on_reply, on_retry, always), not under never.
TEST(ResumePolicy, TheAttemptAfterAReplyContinuesTheSession) {
  Task t = WithSession(TaskStatus::kPending, ErrorType::kNone);
  t.question = "Which colour?";
  t.reply = "blue";
  EXPECT_EQ(SessionToResume(t, ResumeMode::kOnReply, true), "sess-1");
  EXPECT_EQ(SessionToResume(t, ResumeMode::kOnRetry, true), "sess-1");
  EXPECT_EQ(SessionToResume(t, ResumeMode::kAlways, true), "sess-1");
  EXPECT_EQ(SessionToResume(t, ResumeMode::kNever, true), "");
  EXPECT_EQ(SessionToResume(t, ResumeMode::kOnReply, false), "");
  t.reply.clear();
  EXPECT_EQ(SessionToResume(t, ResumeMode::kOnReply, true), "");
  // A stalled attempt's retry continues too (an interrupted session).
  EXPECT_EQ(SessionToResume(WithSession(TaskStatus::kRetrying, ErrorType::kStalled),
                            ResumeMode::kOnReply, true),
            "sess-1");
}

}  // namespace taskexec
