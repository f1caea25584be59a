#!/usr/bin/perl
# The helper-program spawner (see tool-spawner.ts): a small Perl process that starts the programs
# the service asks for, each under its limits, and answers with how each ended and what it wrote.
#
# The limits are set here, between fork and exec, by the system calls prlimit(1) and setpriv(1)
# make (prlimit64, prctl): one exec of the program itself instead of three (setpriv, prlimit, the
# program), from a process of a few MB rather than Node's ~50 MB.
#
# Requests come on stdin, answers go to stdout, each a frame: a 32-bit big-endian length, then
# fields separated by NUL (arguments cannot hold one: run-tool.ts refuses them).
#   run   ID TIMEOUT_MS MAX_OUTPUT_BYTES MEMORY_BYTES FILE_BYTES(or empty) CMD ARGS...
#   abort ID
#   answer: ID KIND VALUE STDOUT_LENGTH STDERR_LENGTH, then the bytes of stdout and stderr, where
#   KIND is exit (VALUE the code), signal (VALUE its name: a signal this process did not send),
#   timeout, output (past the output cap), aborted, or nostart (VALUE why).
use strict;
use warnings;
use POSIX qw(WNOHANG _exit setpgid);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Config;

# x86_64 and arm64 (Linux's generic table), the machines the service is built for.
my %SYSCALLS = (x86_64 => { prctl => 157, prlimit64 => 302 }, aarch64 => { prctl => 167, prlimit64 => 261 });
my $machine = (POSIX::uname())[4];
my $sys = $SYSCALLS{$machine} // die "tool-spawner: no system call numbers known for $machine\n";
use constant { PR_SET_PDEATHSIG => 1, PR_SET_NO_NEW_PRIVS => 38, RLIMIT_FSIZE => 1, RLIMIT_CORE => 4, RLIMIT_AS => 9, SIGKILL => 9 };
use constant READ_CHUNK => 65536;

# Dies with the service: it is the parent named on the command line, or already gone.
my $service = shift @ARGV // die "usage: tool-spawner.pl SERVICE_PID\n";
prctl(PR_SET_PDEATHSIG, SIGKILL) or die "tool-spawner: prctl: $!\n";
exit 0 if getppid() != $service;
my $self = $$;
# Its name in ps and /proc (comm too), and that of its children until they exec: no Perl is
# started per program.
$0 = 'tool-spawner.pl';

$SIG{PIPE} = 'IGNORE';
# A child's end wakes the loop through this pipe (select alone sleeps through a signal that lands
# just before it starts: the loop then also looks every 10 ms while a program's pipes are closed).
pipe(my $wake_r, my $wake_w) or die "tool-spawner: pipe: $!\n";
$wake_w->blocking(0);
$wake_r->blocking(0);
$SIG{CHLD} = sub { syswrite $wake_w, 'x' };

my %runs;    # by pid: { id, out, err, out_fh, err_fh, max_output, deadline, status, ended }
my %pid_of;  # by request id
my $input = '';

sub prctl { syscall($sys->{prctl}, $_[0] + 0, $_[1] + 0, 0, 0, 0) == 0 }

sub set_limit {
  my ($resource, $bytes) = @_;
  syscall($sys->{prlimit64}, 0, $resource + 0, pack('QQ', $bytes, $bytes), 0) == 0;
}

sub now_ms { clock_gettime(CLOCK_MONOTONIC) * 1000 }

sub write_all {
  my ($bytes) = @_;
  while (length $bytes) {
    my $n = syswrite STDOUT, $bytes;
    if (!defined $n) {
      next if $!{EINTR};
      # The service is gone: the parent-death signal ends this process.
      return;
    }
    substr($bytes, 0, $n, '');
  }
}

sub answer {
  my ($id, $kind, $value, $out, $err) = @_;
  my $head = join("\0", $id, $kind, $value, length $out, length $err) . "\0";
  write_all(pack('N', length($head) + length($out) + length($err)) . $head . $out . $err);
}

# In the child, between fork and exec: its own process group (killed whole), killed with this
# process, no new privileges, its limits; then the program. Never returns.
sub become {
  my ($report, $out_w, $err_w, $memory, $file_bytes, $cmd, @args) = @_;
  $SIG{$_} = 'DEFAULT' for qw(PIPE CHLD);
  my $fail = sub { syswrite $report, "$_[0]: $!"; _exit(127) };
  setpgid(0, 0) or $fail->('setpgid');
  prctl(PR_SET_PDEATHSIG, SIGKILL) or $fail->('prctl');
  _exit(127) if getppid() != $self;
  prctl(PR_SET_NO_NEW_PRIVS, 1) or $fail->('no_new_privs');
  set_limit(RLIMIT_AS, $memory) or $fail->('address-space limit');
  set_limit(RLIMIT_CORE, 0) or $fail->('core limit');
  if ($file_bytes ne '') { set_limit(RLIMIT_FSIZE, $file_bytes) or $fail->('file-size limit') }
  open(STDIN, '<', '/dev/null') or $fail->('stdin');
  POSIX::dup2(fileno $out_w, 1) // $fail->('stdout');
  POSIX::dup2(fileno $err_w, 2) // $fail->('stderr');
  { no warnings 'exec'; exec { $cmd } $cmd, @args; }
  $fail->("failed to execute $cmd");
}

sub start {
  my ($id, $timeout_ms, $max_output, $memory, $file_bytes, $cmd, @args) = @_;
  my ($out_r, $out_w, $err_r, $err_w, $report_r, $report_w);
  # Perl sets close-on-exec on every descriptor above 2: a program inherits only its own three.
  unless (pipe($out_r, $out_w) && pipe($err_r, $err_w) && pipe($report_r, $report_w)) {
    return answer($id, 'nostart', "pipe: $!", '', '');
  }
  my $pid = fork;
  return answer($id, 'nostart', "fork: $!", '', '') unless defined $pid;
  become($report_w, $out_w, $err_w, $memory, $file_bytes, $cmd, @args) if $pid == 0;
  close $_ for $out_w, $err_w, $report_w;
  # Empty once exec has closed the child's end: the program runs.
  my $why = '';
  1 while !defined sysread($report_r, $why, 512) && $!{EINTR};
  close $report_r;
  if ($why ne '') {
    1 while waitpid($pid, 0) == -1 && $!{EINTR};
    return answer($id, 'nostart', $why, '', '');
  }
  $runs{$pid} = { id => $id, out => '', err => '', out_fh => $out_r, err_fh => $err_r, max_output => $max_output, deadline => now_ms() + $timeout_ms };
  $pid_of{$id} = $pid;
}

# Kills the program's whole group (what it started too) and stops reading it: a descendant that
# left the group must not hold the run open.
sub stop {
  my ($pid, $why) = @_;
  my $run = $runs{$pid};
  return if defined $run->{ended};
  $run->{ended} = $why;
  kill SIGKILL, -$pid;
  kill SIGKILL, $pid;
  close_stream($run, $_) for qw(out_fh err_fh);
}

sub close_stream {
  my ($run, $key) = @_;
  return unless defined $run->{$key};
  close $run->{$key};
  $run->{$key} = undef;
}

sub handle_request {
  my ($op, $id, @rest) = split /\0/, $_[0], -1;
  if ($op eq 'run') { start($id, @rest) }
  elsif ($op eq 'abort') { stop($pid_of{$id}, 'aborted') if defined $pid_of{$id} && defined $runs{$pid_of{$id}} }
}

sub read_requests {
  my $n = sysread STDIN, $input, READ_CHUNK, length $input;
  return 1 if !defined $n && $!{EINTR};
  # The service closed its end (or is gone): nothing more to do, and no program outlives it.
  if (!$n) {
    kill SIGKILL, -$_ for keys %runs;
    exit 0;
  }
  while (length($input) >= 4) {
    my $len = unpack('N', $input);
    last if length($input) < 4 + $len;
    handle_request(substr($input, 4, $len));
    substr($input, 0, 4 + $len, '');
  }
}

sub read_output {
  my ($pid, $key, $buffer) = @_;
  my $run = $runs{$pid};
  my $n = sysread $run->{$key}, $run->{$buffer}, READ_CHUNK, length $run->{$buffer};
  return if !defined $n && $!{EINTR};
  if (!$n) { close_stream($run, $key); return }
  stop($pid, 'output') if length($run->{$buffer}) > $run->{max_output};
}

sub finish {
  my ($pid) = @_;
  my $run = delete $runs{$pid};
  delete $pid_of{$run->{id}};
  my $status = $run->{status};
  my ($kind, $value);
  if (defined $run->{ended}) { ($kind, $value) = ($run->{ended}, '') }
  elsif ($status & 127) { ($kind, $value) = ('signal', 'SIG' . ((split ' ', $Config{sig_name})[$status & 127] // $status & 127)) }
  else { ($kind, $value) = ('exit', $status >> 8) }
  answer($run->{id}, $kind, $value, $run->{out}, $run->{err});
}

while (1) {
  my $rin = '';
  vec($rin, fileno(STDIN), 1) = 1;
  vec($rin, fileno($wake_r), 1) = 1;
  my $timeout;
  for my $run (values %runs) {
    vec($rin, fileno($run->{$_}), 1) = 1 for grep { defined $run->{$_} } qw(out_fh err_fh);
    my $left = defined $run->{ended} ? undef : ($run->{deadline} - now_ms()) / 1000;
    $left = 0.01 if !defined $run->{out_fh} && !defined $run->{err_fh} && (!defined $left || $left > 0.01);
    $timeout = $left if defined $left && (!defined $timeout || $left < $timeout);
  }
  $timeout = 0 if defined $timeout && $timeout < 0;
  my $ready = select(my $rout = $rin, undef, undef, $timeout);
  if ($ready < 0) {
    next if $!{EINTR};
    die "tool-spawner: select: $!\n";
  }
  if ($ready > 0) {
    read_requests() if vec($rout, fileno(STDIN), 1);
    1 while vec($rout, fileno($wake_r), 1) && (sysread($wake_r, my $drain, 512) // 0) > 0;
    for my $pid (keys %runs) {
      my $run = $runs{$pid} // next;
      read_output($pid, 'out_fh', 'out') if defined $run->{out_fh} && vec($rout, fileno($run->{out_fh}), 1);
      read_output($pid, 'err_fh', 'err') if defined $run->{err_fh} && vec($rout, fileno($run->{err_fh}), 1);
    }
  }
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    $runs{$pid}{status} = $? if $runs{$pid};
  }
  my $now = now_ms();
  for my $pid (keys %runs) {
    my $run = $runs{$pid};
    stop($pid, 'timeout') if !defined $run->{ended} && $now >= $run->{deadline};
    finish($pid) if defined $run->{status} && !defined $run->{out_fh} && !defined $run->{err_fh};
  }
}
