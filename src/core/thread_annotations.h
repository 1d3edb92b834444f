// Clang's thread-safety annotations (-Wthread-safety), so the compiler
// checks which mutex guards which member and which functions need it held.
// They expand to nothing for other compilers; the clang build of
// scripts/check-thread-safety.sh (run by scripts/test.sh) is what checks.
//
// Use with core/mutex.h's Mutex (std::mutex carries no annotations):
//   Mutex mu_;
//   int count_ GUARDED_BY(mu_);
//   void Bump() REQUIRES(mu_);
#pragma once

#if defined(__clang__)
#define TASKEXEC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TASKEXEC_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) TASKEXEC_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY TASKEXEC_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) TASKEXEC_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) TASKEXEC_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) TASKEXEC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) TASKEXEC_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define EXCLUDES(...) TASKEXEC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) TASKEXEC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) TASKEXEC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) TASKEXEC_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS TASKEXEC_THREAD_ANNOTATION(no_thread_safety_analysis)
