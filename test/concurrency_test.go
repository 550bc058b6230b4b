package test

// End-to-end tests of programs that use threads, processes and signals: the
// fixtures of test/programs/concurrency. Each is recorded and replayed
// twice over, once plainly and once with the recorder's chaos scheduling,
// and every replay must print exactly what its recording printed.
//
// The programs' output need not be the same from run to run (racy_counter's
// is not, nor are clock or getrandom values); what the table lists in want
// holds on every run, natively and recorded.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chaosFlag is the rewind record option that randomizes scheduling. The
// second pass of TestConcurrencyFixtures and every recording of
// TestRacyInterleavings use it; empty, the second pass is skipped and
// racy_counter is recorded without it.
var chaosFlag = "--chaos"

// chaosArgs is chaosFlag as rewind record arguments.
func chaosArgs() []string {
	if chaosFlag == "" {
		return nil
	}
	return []string{chaosFlag}
}

// concFixture is one program of test/programs/concurrency and what it does
// natively.
type concFixture struct {
	name string   // test/programs/concurrency/<name>.c, and the subtest
	args []string // command-line arguments
	code int      // exit status (128+N if killed by signal N)
	want []string // substrings of stdout on every run
}

// knownGaps are the fixtures rewind cannot record or replay exactly yet.
var knownGaps = map[string]string{}

// knownChaosGaps are fixtures whose --chaos recordings do not always
// replay yet.
var knownChaosGaps = map[string]string{}

var concFixtures = []concFixture{
	// Threads.
	{name: "thread_create_join", want: []string{"thread 3: joined=1 sum=2187512500\n",
		"total: 5000050000 (expected 5000050000)\n"}},
	{name: "thread_churn", want: []string{"threads: 1500, total 1124250, clocks 1500\n"}},
	{name: "mutex_counter", want: []string{"counter: 400000 (expected 400000)\n",
		"trylock on a held mutex: EBUSY\n"}},
	{name: "condvar_pingpong", want: []string{"exchanges: 2000\nout of order: 0\n"}},
	{name: "condvar_timedwait", want: []string{"unsignalled: ETIMEDOUT, not before the deadline: 1\n",
		"signalled: 0, ready 1\n"}},
	{name: "futex_raw", want: []string{"wait on wrong value: -1 EAGAIN\n",
		"wait with timeout: -1 ETIMEDOUT\n", "wake with no waiters: 0\n",
		"ping-pong rounds: 200, final word: 400\n"}},
	{name: "futex_requeue", want: []string{"CMP_REQUEUE with a stale value: -1 EAGAIN\n",
		"woke or moved at most 3: 1, B wake at most 2: 1\n", "all 3 waiters released: 1\n"}},
	{name: "robust_mutex_owner_dies", want: []string{"thread: lock after owner died: EOWNERDEAD\n",
		"thread: lock again: 0\n", "process: lock after owner died: EOWNERDEAD\n",
		"process: lock after unlock without consistent: ENOTRECOVERABLE\n"}},
	{name: "pi_mutex", want: []string{"PTHREAD_PRIO_INHERIT: 0\n", "counter: 4000 (expected 4000)\n",
		"trylock while held: EBUSY\n"}},
	{name: "set_tid_address", want: []string{"main: set_tid_address returns the tid: 1\n",
		"child: set_tid_address returned its tid: 1\n", "after exit: B cleared: 1, A untouched: 1\n"}},
	{name: "clone_thread_raw", want: []string{"thread 0: sum of squares to 1000 = 333833500, same pid 1, own tid 1\n",
		"thread 2: sum of squares to 3000 = 9004500500, same pid 1, own tid 1\n"}},
	{name: "tls_per_thread", want: []string{"thread 0: started with 100/0, result 499600\n",
		"thread 3: started with 100/0, result 502603\n", "distinct addresses: 1\n",
		"main: tls_init=7 tls_zero=0 buf=\"\"\n"}},
	{name: "thread_exit_retval", want: []string{"returned: 42\n", "pthread_exit from depth 5: 77\n",
		"heap result: 123456789\n", "cancelled: PTHREAD_CANCELED\n"}},
	{name: "detached_threads", want: []string{"attribute detached: 1\n",
		"all 8 detached threads ran, sum of squares 140\n"}},
	{name: "many_threads_64", want: []string{"tasks while all alive: 65\n", "distinct tids: 1\n",
		"sum: 2016448\n", "tasks after join: 1\n"}},
	{name: "barrier", want: []string{"phase 4: arrived 4, serial threads 1\n", "violations: 0\n"}},
	{name: "rwlock", want: []string{"a=40000 b=40000 mismatches seen by readers: 0\n",
		"while read-locked: tryrdlock=0 trywrlock=EBUSY\n"}},
	{name: "semaphore", want: []string{"consumed sum: 500500 in order: 1, free slots after: 8\n",
		"trywait on empty: -1 EAGAIN\n", "timedwait: -1 ETIMEDOUT\n"}},
	{name: "spin_flag", want: []string{"spinner released by main: 1\n", "main saw the answer: 5999995\n"}},
	{name: "yield_pingpong", want: []string{"turns: 1000\n", "even player saw sum 249500, odd player 250000\n"}},
	{name: "atomic_counter", want: []string{"counter: 400000 (expected 400000)\n",
		"maximum: 399999 (expected 399999)\n"}},
	{name: "racy_counter", args: []string{"1000"}, want: []string{"expected: 4000\n", "counter: ",
		"lost updates: ", "finish order: "}},
	{name: "pthread_once", want: []string{"init ran 1 time(s)\n", "every thread saw the result: 1\n"}},
	{name: "tsd_destructors", want: []string{"destructor calls: 3, in the owning thread: 3, freed sum: 60\n",
		"re-armed destructor calls: 3\n"}},
	{name: "thread_cancel", want: []string{"blocked in read: cancelled 1, cleanup ran 1\n",
		"cancel disabled: finished first 1, then cancelled 1\n",
		"asynchronous, while spinning: cancelled 1\n"}},
	{name: "thread_stack_attr", want: []string{"setstacksize: locals inside 1, size at least 256 KiB 1\n",
		"setstack: locals inside 1, our region 1, size 262144\n"}},
	{name: "gettid_threads", want: []string{"main tid is the pid: 1\n", "distinct tids: 1\n",
		"same pid: 1, same ppid: 1\n", "pthread_self matches pthread_create: 1\n"}},
	{name: "stdio_threads", want: []string{"thread 0 line 00 aaaa", "thread 3 line 49 dddd",
		"all 200 lines printed\n"}},
	{name: "prctl_name_threads", want: []string{"thread 0: PR_GET_NAME \"worker-0\", comm \"worker-0\"\n",
		"thread 1: PR_GET_NAME \"worker-one\", comm \"worker-one\"\n",
		"thread 2: PR_GET_NAME \"a-very-long-thr\", comm \"a-very-long-thr\"\n",
		"main: comm \"conc-main\"\n"}},
	{name: "sched_getaffinity", want: []string{"allowed CPUs: at least one 1\n",
		"pinned thread: mask has 1 CPU 1, runs on it 1\n", "main's mask unchanged: 1\n"}},
	{name: "clock_in_threads", want: []string{"thread 3: monotonic ",
		"monotonic non-decreasing, realtime sane, cpu clocks readable in every thread: 1\n"}},
	{name: "getrandom_threads", want: []string{"thread 0: 16 bytes: ", "all filled and distinct: 1\n"}},
	{name: "rdtsc_threads", want: []string{"thread 2: tsc ", "advanced in every thread: 1\n"}},
	{name: "nanosleep_threads", want: []string{"thread 0 slept at least 50 ms: 1\n",
		"thread 3 slept at least 50 ms: 1\n"}},
	{name: "eventfd_threads", want: []string{"counter total: 400 in at least one read: 1\n",
		"semaphore: 3 reads of 1, then EAGAIN\n"}},
	{name: "epoll_threads", want: []string{"pipe 0: 300 bytes then EOF\n", "pipe 3: 300 bytes then EOF\n",
		"all hung up: 1\n"}},
	{name: "poll_pipe_threads", want: []string{"poll(0) on empty pipes: 0\n", "poll(5 ms) on empty pipes: 0\n",
		"poll returned 1, pipe 2 ready: line from thread 2\n",
		"poll returned 1, pipe 0 ready: line from thread 0\n"}},
	{name: "timerfd_threads", want: []string{"one-shot: poll 1, expirations 1\n",
		"one-shot after firing: -1 EAGAIN\n", "periodic: at least 5 expirations 1, in at least one read 1\n"}},
	{name: "pipe_backpressure_threads", want: []string{"bytes read: 1048576\n", "equal 1\n"}},
	{name: "mmap_threads", want: []string{"thread 0: sum 19900, failures 0\n", "thread 3: sum 20500, failures 0\n"}},
	{name: "thread_exit_group_while_others_block", code: 3, want: []string{"main: joining the reader\n",
		"exiter: calling exit(3) with three threads blocked\n", "atexit handler ran\n"}},
	{name: "main_thread_exits_first", want: []string{"main: pthread_exit\n",
		"thread 1: running after main exited, main task state Z\n",
		"thread 0: joined the others, exiting last\n"}},

	// Processes.
	{name: "fork_wait", want: []string{"child: ppid is the parent: 1, own pid differs: 1, sees 10\n",
		"parent: exited 1 with 7, own copy still 10\n", "parent: waitpid again: -1\n"}},
	{name: "fork_pipe", want: []string{"child says: 262144 518c9dc5\n", "matches: 1, child status 0\n"}},
	{name: "fork_many_children", want: []string{"reaped 16 children, status sum 120, each pid with its status once: 1\n",
		"then wait: ECHILD\n"}},
	{name: "fork_in_thread", want: []string{"child: single task 1, tid is pid 1, ppid is the process 1\n",
		"thread reaped the child: status 3\n"}},
	{name: "fork_with_threads", want: []string{"parent: tasks before fork: 4\n",
		"child: tasks 1, saw the workers' writes 1, malloc works\n",
		"parent: child exited 0, workers stopped\n"}},
	{name: "vfork_exec", want: []string{"parent: before vfork\nchild: hello from /bin/echo after vfork\nparent: echo exited 0\n",
		"parent: second child exited 5\n"}},
	{name: "vfork_in_thread", want: []string{"main ran while the vfork child held the thread: 1\n",
		"child exited 21\n"}},
	{name: "posix_spawn", want: []string{"echo: spawn 0, exit 0, said: spawned echo\n", "sh: spawn 0, exit 3\n",
		"missing program: ENOENT\n"}},
	{name: "clone_raw_flags", want: []string{"SIGCHLD only: child exited 5\n",
		"SETTID: parent's copy set 1, child's copy right 1, parent's ctid untouched 1\n",
		"CLONE_FILES: child's close seen 1, child's dup2 seen 1\n",
		"CLONE_FS: child's chdir moved the parent to \"/\"\n",
		"plain waitpid ECHILD, __WCLONE gets 6, SIGUSR1 arrived 1 with CLD_EXITED 1 status 6\n"}},
	{name: "clone3_fork", want: []string{"pidfd: got one 1, readable at exit 1\n",
		"waitid(P_PIDFD): 0, pid matches 1, CLD_EXITED 1, status 11\n",
		"PARENT_SETTID: tid written 1, exit 12\n"}},
	{name: "fork_exec_work", want: []string{"forked child: 385\n", "exec'd child: 9455\n",
		"parent: 55, forked child exited 85, exec'd child exited 55\n"}},
	{name: "exec_other_binary", want: []string{"/bin/true exited 0\n", "echo in a child; exited 0\n",
		"missing binary: child exited 127\n",
		"now replacing myself with /bin/echo\nlast words from echo, pid unchanged\n"}},
	{name: "exec_shebang_script", want: []string{"script: 2 args: first second\n", "script exited 9\n",
		"script removed: 1\n"}},
	{name: "execve_self", code: 3, want: []string{"stage 1\n", "stage 2: same pid 1, env \"set by stage 1\"\n",
		"stage 3: same pid 1, env kept 1, argc 3\n"}},
	{name: "exec_in_thread", want: []string{"thread: tasks before exec: 3\n", "after exec: same pid 1, tasks 1\n"}},
	{name: "cloexec_exec", want: []string{"before exec: all open 1\n",
		"after exec: plain pipe open 1/1, O_CLOEXEC pipe open 0, FD_CLOEXEC dup open 0\n",
		"read from the inherited pipe: written before exec\n"}},
	{name: "waitid", want: []string{"exit, WNOWAIT: 0 CLD_EXITED status 4 pid matches 1\n",
		"exit, again: 0 CLD_EXITED status 4 pid matches 1\n", "WNOHANG while running: 0, si_pid 0\n",
		"SIGSTOP: 0 CLD_STOPPED status 19 pid matches 1\n", "SIGCONT: 0 CLD_CONTINUED status 18 pid matches 1\n",
		"SIGTERM: 0 CLD_KILLED status 15 pid matches 1\n"}},
	{name: "wait_status_signaled", want: []string{"killed by parent: signal 9 (SIGKILL 9)\n",
		"bad access: signal 11 (SIGSEGV 11)\n", "abort: signal 6 (SIGABRT 6)\n",
		"raise(SIGTERM): signal 15 (SIGTERM 15)\n"}},
	{name: "waitpid_wnohang", want: []string{"polled with nothing to report at least once: 1\n",
		"then got the child: 1, status 6\n"}},
	{name: "wait_in_other_thread", want: []string{"thread reaped by pid: 1, status 41\n",
		"thread reaped with wait(-1): 1, status 42\n"}},
	{name: "zombie_reap_order", want: []string{"zombies before reaping: 3\n",
		"reaped child 2: right pid 1, status 22, gone from /proc 1\n",
		"reaped child 0: right pid 1, status 20, gone from /proc 1\n"}},
	{name: "pipe_between_processes", want: []string{"consumer: 1000 lines, sum 500500\n",
		"producer exited 0, consumer exited 0\n"}},
	{name: "socketpair_processes", want: []string{"stream: sum of squares 1..100 from the child: 338350\n",
		"seqpacket sizes: 3 4 5\n", "SCM_RIGHTS: got an fd 1, read 19 bytes: through a passed fd\n"}},
	{name: "dup2_stdout_child", want: []string{"parent: before fork\n",
		"parent: child exited 0, pipe carried 46 bytes:\nchild printf into the pipe\necho into the pipe\n"}},
	{name: "mmap_shared_anon_fork", want: []string{"shared counter: 200 (expected 200)\n",
		"strict alternation: parent 1, child 1\n", "private page after the child wrote it: 1\n"}},
	{name: "process_group_session", want: []string{"child a: inherited group and session 1, own group 1, setsid EPERM 1\n",
		"child b: setsid made a new session and group 1\n",
		"child c: parent's setpgid gave it its own group 1\n",
		"parent: setpgid(child) 0, getpgid(child) is the child 1, own group unchanged 1\n"}},
	{name: "daemon_grandchild", want: []string{"middle child exited 0\n",
		"grandchild: reparented 1, not to the original 1, own session 1\n"}},
	{name: "child_subreaper", want: []string{"subreaper: 1\n", "child exited 0\n",
		"then reaped the grandchild: 1, status 33\n"}},
	{name: "pdeathsig", want: []string{"grandchild got signal 10 (asked for 10)\n"}},
	{name: "pidfd", want: []string{"pidfd_open: 1\n", "readable while running: 0\n", "pidfd_send_signal: 0\n",
		"readable after the signal: 1\n", "waitid(P_PIDFD): 0, killed by signal 15\n"}},
	{name: "killpg_children", want: []string{"leader survived the group signal: 1\n",
		"workers killed by SIGTERM: 3 of 3\n"}},
	{name: "sigstop_cont_child", want: []string{"stopped: 1, no progress while stopped: 1\n",
		"continued: 1, progress after: 1\n", "exited: 8\n"}},

	// Signals.
	{name: "thread_sigmask", want: []string{"pending before workers: 1\n", "handled by worker 2, 1 time(s)\n",
		"pending after: 0, main still blocks it: 1\n"}},
	{name: "pthread_kill", want: []string{"pthread_kill(t, 0) on a live thread: 0\n",
		"thread 0: handler ran there 1 time(s)\n", "thread 2: handler ran there 1 time(s)\n"}},
	{name: "tgkill_self", want: []string{"main to itself: in main 1, SI_TKILL 1, si_pid ok 1\n",
		"thread to itself (tgkill, tkill): 1\n", "thread to main: sent 1, arrived in main 1\n",
		"signals handled: 4\n"}},
	{name: "sigaltstack_thread", want: []string{"main: handler on alternate stack: 0\n",
		"thread: starts with SS_DISABLE: 1\n", "thread: handler on alternate stack: 1\n",
		"thread: stack overflow caught: 1, on alternate stack: 1\n"}},
	{name: "sigchld_handler", want: []string{"reaped 5 children from the handler, status sum 60\n",
		"handler called at least once: 1, si_code CLD_EXITED: 1\n"}},
	{name: "setitimer_alarm", want: []string{"SIGALRM ticks: 5\n", "disarmed: 1\n"}},
	{name: "alarm_pause", want: []string{"alarm(30) replaced none: 1, alarm(0) returned 29 or 30: 1\n",
		"pause returned -1 EINTR after the alarm rang 1 time(s)\n"}},
	{name: "timer_create_signal", want: []string{"SIGEV_SIGNAL: fired 3 times, si_code SI_TIMER and value 42: 1\n",
		"SIGEV_THREAD_ID: handled in the target thread: 1\n"}},
	{name: "itimer_prof", want: []string{"SIGPROF and SIGVTALRM reached 5: 1 1\n", "counts and loop state (vary): "}},
	{name: "kill_from_child", want: []string{"parent got SIGUSR1 1 time(s), from the child 1, SI_USER 1\n"}},
	{name: "sa_restart_read", want: []string{"read returned 4 \"data\" after 1 signal(s), errno untouched\n"}},
	{name: "no_sa_restart_eintr", want: []string{"first read failed with EINTR: 1\n", "handler ran: 1\n",
		"a later read returned 4 \"late\"\n"}},
	{name: "sa_siginfo", want: []string{"sigqueue: SI_QUEUE 1, value 1234, si_pid ok 1, si_uid ok 1, ucontext 1\n",
		"realtime: delivered 3, values 11 22 33\n", "standard: delivered 1\n"}},
	{name: "sa_resethand", want: []string{"SA_RESETHAND: handler ran 1 time(s), reset to SIG_DFL 1\n",
		"SA_NODEFER: handler ran 2 time(s), max depth 2\n"}},
	{name: "sigreturn_nested", want: []string{"trace: [USR1[USR2[HUP]USR2]USR1][USR1[USR2[HUP]USR2]USR1]\n",
		"max depth 3, SIGUSR1 handler ran 2 times, depth back to 0\n",
		"state across the handlers: 1111050\n"}},
	{name: "sigpipe", want: []string{"default: child killed by SIGPIPE 1\n", "ignored: EPIPE 1\n",
		"handled: EPIPE 1, handler saw signal 13\n"}},
	{name: "sigsegv_handler_thread", want: []string{"read of 0x10: handled in the faulting thread 1, address 0x10, SEGV_MAPERR 1\n",
		"write to a read-only page: in the faulting thread 1, address page+8 1, SEGV_ACCERR 1\n",
		"main: survived, thread faults handled: 1\n"}},
	{name: "fatal_signal_in_thread", code: 128 + 11, want: []string{"main: starting threads\n",
		"thread: about to fault\n"}},
	{name: "signal_to_thread_in_futex", want: []string{"cond waiter: handler ran there 1 time(s), woke with value 42\n",
		"futex waiter: handler ran there 1 time(s), woke with word 1\n", "handler ran in main: 0\n"}},
	{name: "sigsuspend_thread", want: []string{"sigsuspend returned -1 EINTR\n",
		"handled in main: 1, mask restored: 1\n"}},
	{name: "sigwaitinfo", want: []string{"pending USR2 then USR1, taken: SIGUSR1 then SIGUSR2\n",
		"from a thread: SIGRTMIN 1, SI_QUEUE 1, value 7, si_pid ok 1\n", "nothing pending: -1 EAGAIN\n"}},
	{name: "sigqueue_threads", want: []string{"received 40, value sum 6180, each sender's in order 1\n"}},
	{name: "signalfd", want: []string{"SIGUSR1: SI_QUEUE 1, value 99\n",
		"SIGCHLD: from the child 1, CLD_EXITED 1, status 3\n", "then empty: -1 EAGAIN\n"}},
	{name: "sigmask_inherit_exec", want: []string{"before exec: SIGUSR1 raised while blocked, handler ran 0\n",
		"after exec: SIGUSR1 blocked 1, pending 1\n",
		"after exec: SIGUSR2 still ignored 1, SIGHUP handler reset to default 1\n",
		"after unblocking: delivered signal 10\n"}},
	{name: "nanosleep_restart", want: []string{"handler: nanosleep -1 EINTR, remaining time reported 1\n",
		"stop/continue: clock_nanosleep returned 0, total at least 40 ms 1\n"}},
}

// concTimeout bounds every command these tests run. The fixtures take well
// under a second natively; a recording or replay still running after this
// long has hung, and waiting for RunTimeout on each of many would take long.
var concTimeout = 60 * time.Second

// concRun is Run (no stdin, the test's environment, a process group of its
// own killed at the end) bounded by concTimeout instead of RunTimeout.
func concRun(t *testing.T, dir, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), concTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	r := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("%s: still running after %v, killed\n%s", strings.Join(cmd.Args, " "), concTimeout, r)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		} else {
			r.Code = exitErr.ExitCode()
		}
	default:
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, r)
	}
	return r
}

// concSlots bounds how many of these tests run programs at once: CI has two
// cores, and the fixtures time themselves.
var concSlots = make(chan struct{}, 2)

// concSlot takes a slot until t ends.
func concSlot(t *testing.T) {
	t.Helper()
	concSlots <- struct{}{}
	t.Cleanup(func() { <-concSlots })
}

// startConc starts f's parallel subtest (skipped for a known gap): it
// builds the fixture, takes a slot and returns the program.
func startConc(t *testing.T, f concFixture) string {
	t.Helper()
	if gap := knownGaps[f.name]; gap != "" {
		t.Skipf("known gap (issue 6): %s", gap)
	}
	t.Parallel()
	prog := buildConc(t, f.name)
	concSlot(t)
	return prog
}

// buildConc builds test/programs/concurrency/<name>.c with -pthread (and
// extra flags); the binary is named <name>.
func buildConc(t testing.TB, name string, flags ...string) string {
	t.Helper()
	return Build(t, "concurrency/"+name, append([]string{"-pthread"}, flags...)...)
}

// check checks r's exit status and wanted substrings.
func (f concFixture) check(t *testing.T, what string, r Result) {
	t.Helper()
	if r.Code != f.code {
		t.Errorf("%s of %s: exit code %d, want %d\n%s", what, f.name, r.Code, f.code, r)
	}
	for _, w := range f.want {
		if !bytes.Contains(r.Stdout, []byte(w)) {
			t.Errorf("%s of %s: stdout lacks %q\n%s", what, f.name, w, r)
		}
	}
}

// concRecord records prog with rewind record [flags] -o trace -- prog args,
// in a fresh working directory, and returns what the recording printed.
func concRecord(t *testing.T, trace string, flags []string, prog string, args ...string) Result {
	t.Helper()
	cmd := append([]string{"record"}, flags...)
	cmd = append(cmd, "-o", trace, "--", prog)
	cmd = append(cmd, args...)
	return concRun(t, t.TempDir(), Rewind(t), cmd...)
}

// concReplay replays trace with rewind replay -a, from another directory
// and without stdin, and checks that it printed and exited exactly as the
// recording rec did.
func concReplay(t *testing.T, what, trace string, rec Result) Result {
	t.Helper()
	rep := concRun(t, t.TempDir(), Rewind(t), "replay", "-a", trace)
	if rep.Code != rec.Code {
		t.Errorf("%s: replay exited %d, the recording %d\nreplay: %s\nrecording: %s", what, rep.Code, rec.Code, rep, rec)
	}
	if !bytes.Equal(rep.Stdout, rec.Stdout) {
		t.Errorf("%s: replay's stdout differs from the recording's\nreplay: %q\nrecording: %q",
			what, clip(rep.Stdout), clip(rec.Stdout))
	}
	if got, want := programStderr(rep.Stderr), programStderr(rec.Stderr); !bytes.Equal(got, want) {
		t.Errorf("%s: replay's stderr (less rewind: lines) differs from the recording's\nreplay: %q\nrecording: %q",
			what, clip(got), clip(want))
	}
	noPanic(t, what+": replay", rep)
	return rep
}

// noPanic fails t if rewind's stderr shows a Go panic.
func noPanic(t *testing.T, what string, r Result) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine "} {
		if bytes.Contains(r.Stderr, []byte(bad)) {
			t.Errorf("%s: stderr mentions %q:\n%s", what, bad, r.Stderr)
		}
	}
}

// recordReplayConc records f once with flags and replays it once.
func recordReplayConc(t *testing.T, f concFixture, prog string, flags ...string) {
	t.Helper()
	how := strings.TrimSpace("rewind record " + strings.Join(flags, " "))
	trace := filepath.Join(t.TempDir(), "trace")
	rec := concRecord(t, trace, flags, prog, f.args...)
	noPanic(t, how, rec)
	if rec.Code != f.code {
		hint := ""
		if rec.Code == 128+14 {
			hint = " (SIGALRM: the fixture's alarm(5) safety net fired, the recorded run took over 5 s)"
		}
		t.Fatalf("%s of %s exited %d, want the program's own %d%s\n%s", how, f.name, rec.Code, f.code, hint, rec)
	}
	f.check(t, how, rec)
	concReplay(t, how+" then rewind replay -a", trace, rec)
}

// TestConcurrencyFixtures records every concurrency fixture and replays it:
// once plainly (processes side by side), once without the syscall buffer,
// once with one thread of the tree at a time (--serial), once with chaos
// scheduling.
func TestConcurrencyFixtures(t *testing.T) {
	Require(t, "ptrace")
	Rewind(t) // fail once, with the build output, if rewind does not build
	for _, f := range concFixtures {
		t.Run(f.name, func(t *testing.T) {
			prog := startConc(t, f)
			t.Run("record", func(t *testing.T) { recordReplayConc(t, f, prog) })
			t.Run("nobuffer", func(t *testing.T) { recordReplayConc(t, f, prog, "--no-syscall-buffer") })
			t.Run("serial", func(t *testing.T) { recordReplayConc(t, f, prog, "--serial") })
			t.Run("chaos", func(t *testing.T) {
				if chaosFlag == "" {
					t.Skip("chaosFlag is empty")
				}
				if gap := knownChaosGaps[f.name]; gap != "" {
					t.Skipf("known gap (issue 6): %s", gap)
				}
				recordReplayConc(t, f, prog, chaosFlag)
			})
		})
	}
}

// TestConcurrencyFixturesNative runs every concurrency fixture without
// rewind: the expectations of the table hold for the programs themselves.
func TestConcurrencyFixturesNative(t *testing.T) {
	for _, f := range concFixtures {
		t.Run(f.name, func(t *testing.T) {
			prog := startConc(t, f)
			f.check(t, "native run", concRun(t, t.TempDir(), prog, f.args...))
		})
	}
}

// TestConcurrencyFixturesCompileCleanly builds every concurrency fixture
// with -Wall -Wextra -Werror.
func TestConcurrencyFixturesCompileCleanly(t *testing.T) {
	for _, name := range concProgramNames(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			buildConc(t, name, "-Wall", "-Wextra", "-Werror")
		})
	}
}

// TestConcurrencyFixturesListed checks that every program in
// test/programs/concurrency is in the table exactly once, and that every
// entry of the table has its program.
func TestConcurrencyFixturesListed(t *testing.T) {
	listed := make(map[string]int)
	for _, f := range concFixtures {
		listed[f.name]++
	}
	present := make(map[string]bool)
	for _, name := range concProgramNames(t) {
		present[name] = true
		if listed[name] == 0 {
			t.Errorf("test/programs/concurrency/%s.c is not in the concFixtures table", name)
		}
	}
	for name, n := range listed {
		if n > 1 {
			t.Errorf("%s is in the concFixtures table %d times", name, n)
		}
		if !present[name] {
			t.Errorf("concFixtures lists %s, but test/programs/concurrency/%s.c does not exist", name, name)
		}
	}
}

// concProgramNames lists the programs of test/programs/concurrency.
func concProgramNames(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(ProgramsDir(), "concurrency")
	matches, err := filepath.Glob(filepath.Join(dir, "*.c"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	var names []string
	for _, m := range matches {
		names = append(names, strings.TrimSuffix(filepath.Base(m), ".c"))
	}
	sort.Strings(names)
	return names
}

// TestRacyInterleavings records racy_counter, whose result depends on how
// its threads interleave, many times with chaos scheduling: the recordings
// must not all agree, and each replay must reproduce its own recording, not
// just any plausible run.
func TestRacyInterleavings(t *testing.T) {
	Require(t, "ptrace")
	const (
		recordings = 20
		replays    = 50  // in all: every recording once, the first ten four times
		iterations = 500 // per thread, four threads
	)
	args := []string{fmt.Sprint(iterations)}
	expected := fmt.Sprintf("expected: %d\n", 4*iterations)
	prog := buildConc(t, "racy_counter")
	Rewind(t)

	// The traces outlive the subtests that make them.
	dir := t.TempDir()
	traces := make([]string, recordings)
	recs := make([]Result, recordings)
	t.Run("record", func(t *testing.T) {
		for i := range recordings {
			traces[i] = filepath.Join(dir, fmt.Sprintf("trace%d", i))
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				concSlot(t)
				recs[i] = concRecord(t, traces[i], chaosArgs(), prog, args...)
				noPanic(t, "rewind record", recs[i])
				if recs[i].Code != 0 || !bytes.Contains(recs[i].Stdout, []byte(expected)) {
					t.Fatalf("rewind record %s -- racy_counter %d: exit code %d, want 0 and %q\n%s",
						chaosFlag, iterations, recs[i].Code, expected, recs[i])
				}
			})
		}
	})
	if t.Failed() {
		t.Fatalf("recording racy_counter failed; not replaying")
	}

	distinct := make(map[string]int)
	for _, r := range recs {
		distinct[string(r.Stdout)]++
	}
	if len(distinct) < 2 {
		t.Errorf("all %d %s recordings of racy_counter printed the same; chaos scheduling should vary the interleaving:\n%s",
			recordings, chaosFlag, recs[0].Stdout)
	}

	t.Run("replay", func(t *testing.T) {
		n := 0
		for i := range recordings {
			times := 1
			if i < (replays-recordings)/3 {
				times = 4
			}
			for k := range times {
				n++
				t.Run(fmt.Sprintf("%d.%d", i, k), func(t *testing.T) {
					t.Parallel()
					concSlot(t)
					concReplay(t, fmt.Sprintf("replay %d of recording %d", k+1, i), traces[i], recs[i])
				})
			}
		}
		if n != replays {
			t.Fatalf("planned %d replays, want %d", n, replays)
		}
	})
}
