// Terminal control that must be async-signal-safe or needs termios/ioctl from C.
#ifndef KANSOKU_TERM_H
#define KANSOKU_TERM_H

/// Saves the terminal state of `fd`, enters raw mode, the alternate screen, hides the cursor
/// and enables SGR mouse reporting. Installs handlers so SIGINT, SIGTERM, SIGHUP, SIGQUIT and
/// crashes (SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE) restore the terminal before the process
/// dies, plus an atexit hook. Returns 0 on success, -1 when `fd` is not a terminal.
int kterm_enter(int fd);
/// Restores what `kterm_enter` changed. Safe to call more than once and from signal handlers.
void kterm_restore(void);
/// Rows and columns of the terminal on `fd`; 0 when unknown.
int kterm_size(int fd, int *rows, int *cols);
/// 1 once if SIGWINCH arrived since the last call.
int kterm_take_resize(void);
/// 1 once if SIGINT/SIGTERM/SIGHUP asked the program to stop (handled, not fatal, while entered).
int kterm_take_stop(void);
#endif
