#ifndef DRIVERS_I8259_H
#define DRIVERS_I8259_H
void i8259_init_masked(void);
#endif
