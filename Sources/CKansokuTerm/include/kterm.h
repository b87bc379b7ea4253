#ifndef KANSOKU_TERM_H
#define KANSOKU_TERM_H
int kterm_placeholder(void);
#endif
