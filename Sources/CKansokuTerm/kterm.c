#include "kterm.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static volatile sig_atomic_t entered = 0;
static volatile sig_atomic_t resized = 0;
static volatile sig_atomic_t stop_requested = 0;
static int term_fd = -1;

static const char leave_seq[] = "\x1b[?1006l\x1b[?1000l\x1b[0m\x1b[?25h\x1b[?1049l";
static const char enter_seq[] = "\x1b[?1049h\x1b[?25l\x1b[?1000h\x1b[?1006h\x1b[2J";

void kterm_restore(void) {
    if (!entered) return;
    entered = 0;
    ssize_t ignored = write(term_fd, leave_seq, sizeof(leave_seq) - 1);
    (void)ignored;
    tcsetattr(term_fd, TCSAFLUSH, &saved);
}

static void on_fatal(int sig) {
    kterm_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void on_winch(int sig) {
    (void)sig;
    resized = 1;
}

int kterm_enter(int fd) {
    if (!isatty(fd)) return -1;
    if (tcgetattr(fd, &saved) != 0) return -1;
    term_fd = fd;
    struct termios raw = saved;
    raw.c_iflag &= ~(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_oflag &= ~(OPOST);
    raw.c_cflag |= CS8;
    raw.c_lflag &= ~(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 1;
    if (tcsetattr(fd, TCSAFLUSH, &raw) != 0) return -1;
    entered = 1;
    ssize_t ignored = write(fd, enter_seq, sizeof(enter_seq) - 1);
    (void)ignored;
    static int hooked = 0;
    if (!hooked) {
        hooked = 1;
        atexit(kterm_restore);
        int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGQUIT};
        for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) signal(fatal[i], on_fatal);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        sa.sa_handler = on_winch;
        sigaction(SIGWINCH, &sa, NULL);
    }
    return 0;
}

int kterm_size(int fd, int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) { *rows = 0; *cols = 0; return -1; }
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int kterm_take_resize(void) {
    if (!resized) return 0;
    resized = 0;
    return 1;
}

int kterm_take_stop(void) {
    if (!stop_requested) return 0;
    stop_requested = 0;
    return 1;
}
