/* callbacks.h - the libmilter registration of hummingbird-milter. */
#ifndef CALLBACKS_H
#define CALLBACKS_H

#include <libmilter/mfapi.h>

extern struct smfiDesc milter_desc;

/* Sessions (MTA connections) open right now, for a clean shutdown. */
unsigned int milter_active_sessions(void);

#endif
