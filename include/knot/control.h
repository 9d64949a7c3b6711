/* SPDX-License-Identifier: MIT */
/* control.h - knotd's control socket protocol (JSON lines), shared by knotd and knotctl; see docs/CONTROL.md. */
#ifndef KNOT_CONTROL_H
#define KNOT_CONTROL_H

#define KNOT_CONTROL_VERSION 3          /* bumped on incompatible changes (2: start waits for a go-ahead,
                                         * belongs to its connection, asks for a warm-up first; 3: areas
                                         * with sides take a side, routines) */
#define KNOT_SOCKET_DEFAULT "/run/knotd/knotd.sock"
#define KNOT_SOCKET_ENV "KNOT_SOCKET"
#define KNOT_CONTROL_LINE_MAX 4096      /* longer request: error reply, then disconnect */
/* The form of every line knotd and knotctl write (requests, replies, events,
 * journal records): one JSON object, json-c's PLAIN (so no newline inside:
 * strings escape theirs), '/' left as it is. The writer adds the '\n'. */
#define KNOT_JSON_LINE_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Request member names */
#define KNOT_K_CMD "cmd"
#define KNOT_K_ID "id"
#define KNOT_K_DEVICE "device"
#define KNOT_K_AREA "area"
#define KNOT_K_LEVEL "level"
#define KNOT_K_ASK "ask"                /* start: wait at level 1 after each trial for "go" (default true) */
#define KNOT_K_FOLLOW "follow"          /* start: the session belongs to this connection (default true) */
#define KNOT_K_DETACH "detach"          /* start: the session is knotd's, it outlives the connection (default false) */
#define KNOT_K_WARMED_UP "warmed_up"    /* start: the person has warmed the area up (the day's first session asks) */
#define KNOT_K_SIDE "side"              /* start, checkin, history: "left" or "right" on an area with sides */
#define KNOT_K_SESSION_S "session_s"    /* start: a shorter session than the area allows (a routine's step) */

/* The sides of an area with sides ("sides": [...] of an area) */
#define KNOT_SIDE_LEFT "left"
#define KNOT_SIDE_RIGHT "right"

/* status: readings at most this old (ms) are fresh; older ones start a look (docs/CONTROL.md) */
#define KNOT_FRESH_MS 200

/* The care record's limits (checkin, history), for clients to check first */
#define KNOT_PAIN_MAX 10                /* pain: 0 (none) to 10 (the worst) */
#define KNOT_NOTE_MAX 200               /* bytes of a check-in's note */
#define KNOT_HISTORY_DAYS_MAX 365

/* Reply members */
#define KNOT_K_OK "ok"
#define KNOT_K_CODE "code"
#define KNOT_K_MESSAGE "message"
#define KNOT_K_EVENT "event"
#define KNOT_K_ADVICE "advice"          /* session object: what to do after its end ("" for most) */
#define KNOT_K_CARE "care"              /* start, checkin: a care object or null; status, history: an array of them */

/* Error codes ("code" of a reply with "ok": false) */
#define KNOT_E_BAD_REQUEST "bad-request"       /* not JSON, missing or mistyped member */
#define KNOT_E_UNKNOWN_COMMAND "unknown-command"
#define KNOT_E_TOO_LONG "too-long"             /* line over KNOT_CONTROL_LINE_MAX; connection closed */
#define KNOT_E_TOO_MANY "too-many-clients"     /* sent once, connection closed */
#define KNOT_E_PERMISSION "permission"         /* peer is neither root nor in the socket group */
#define KNOT_E_NO_DEVICE "no-device"
#define KNOT_E_AMBIGUOUS "ambiguous-device"    /* several massagers: name one */
#define KNOT_E_UNKNOWN_AREA "unknown-area"
#define KNOT_E_NOT_ALLOWED "not-allowed"       /* the gun does not belong there (neck) */
#define KNOT_E_COOLDOWN "cooldown"             /* the area (or the massager) needs rest: message says until when */
#define KNOT_E_DOSE "dose"                     /* the area has had today's dose (profile dose_min) */
#define KNOT_E_TRIAL "trial"                   /* no raising during the trial */
#define KNOT_E_LIMIT "limit"                   /* above the area's or device's maximum */
#define KNOT_E_BUSY "busy"                     /* another area's session runs */
#define KNOT_E_NOT_RUNNING "not-running"
#define KNOT_E_JOURNAL "journal"               /* the journal cannot record a new session: none starts */
#define KNOT_E_FAULT "fault"                   /* a latched fault that cannot be cleared: message says what to do */
#define KNOT_E_ENDED "ended"                   /* the session ended before it began (stopped, unplugged): "end" says how */
#define KNOT_E_RED_FLAG "red-flag"             /* a check-in reported a red flag on the area: see a professional; "red_flags" */
#define KNOT_E_PAIN_STOP "pain-stop"           /* a session on the area ended on pain today: closed until tomorrow, or a clear */
#define KNOT_E_NOT_WAITING "not-waiting"       /* go, but the session is not waiting for it */
#define KNOT_E_NOT_YOURS "not-yours"           /* up or go on another person's session: only they or root may raise */
#define KNOT_E_SIDE "side"                     /* the area has sides: name one ("sides": the choices) */
#define KNOT_E_WARM_UP "warm-up"               /* the area's first session today: warm it up, then start with "warmed_up" */

/* Commands (the value of "cmd"; docs/CONTROL.md says what each takes and answers) */
#define KNOT_CMD_VERSION "version"
#define KNOT_CMD_HELLO "hello"                 /* an old name of version: served, not listed */
#define KNOT_CMD_DEVICES "devices"
#define KNOT_CMD_STATUS "status"
#define KNOT_CMD_AREAS "areas"
#define KNOT_CMD_START "start"
#define KNOT_CMD_STOP "stop"
#define KNOT_CMD_UP "up"
#define KNOT_CMD_DOWN "down"
#define KNOT_CMD_OUCH "ouch"
#define KNOT_CMD_GO "go"                       /* the person's go-ahead: the ramp may begin */
#define KNOT_CMD_WATCH "watch"
#define KNOT_CMD_CHECKIN "checkin"
#define KNOT_CMD_HISTORY "history"
#define KNOT_CMD_ROUTINES "routines"           /* the routines of the profiles, step by step */

/* A session's phase ("phase"), in the order a session goes through them */
#define KNOT_PHASE_IDLE "idle"
#define KNOT_PHASE_TRIAL "trial"               /* level 1 for the area's trial */
#define KNOT_PHASE_WAIT "wait"                 /* after a trial, at level 1, until "go" (start with "ask") */
#define KNOT_PHASE_RAMP "ramp"                 /* one level per step_s toward the target */
#define KNOT_PHASE_HOLD "hold"                 /* at the target */
#define KNOT_PHASE_ENDED "ended"               /* "end" says how */

/* How a session ended ("end") */
#define KNOT_END_DONE "done"                   /* its time was up */
#define KNOT_END_STOPPED "stopped"             /* a stop */
#define KNOT_END_FAULT "fault"                 /* the massager latched a fault */
#define KNOT_END_UNPLUGGED "unplugged"
#define KNOT_END_LOST "lost-contact"           /* the massager stopped answering, or stopped the motor itself */
#define KNOT_END_CEILING "ceiling"             /* the running time ceiling */
#define KNOT_END_SHUTDOWN "shutdown"           /* knotd stopped */
#define KNOT_END_REFUSED "refused"             /* the massager refused a level */
#define KNOT_END_PAIN "pain"                   /* a second ouch at level 1: stop for today (see "advice") */
#define KNOT_END_DISCONNECTED "disconnected"   /* the connection that followed the session closed */
#define KNOT_END_RED_FLAG "red-flag"           /* a check-in reported a red flag on the running area (see "advice") */
#define KNOT_END_PROFILE "profile"             /* a profile reload removed the area or closed it to the massager */

/* Events after "watch" ("event") and their "action" */
#define KNOT_EV_DEVICE "device"                /* KNOT_ACT_ADDED, KNOT_ACT_REMOVED */
#define KNOT_EV_STATUS "status"
#define KNOT_EV_SESSION "session"              /* KNOT_ACT_STARTED, KNOT_ACT_ENDED */
#define KNOT_EV_WARNING "warning"
#define KNOT_ACT_ADDED "added"
#define KNOT_ACT_REMOVED "removed"
#define KNOT_ACT_STARTED "started"
#define KNOT_ACT_ENDED "ended"

/* knotctl exit codes */
#define KNOTCTL_EXIT_OK 0
#define KNOTCTL_EXIT_REFUSED 1       /* knotd answered with an error */
#define KNOTCTL_EXIT_USAGE 2         /* bad command line */
#define KNOTCTL_EXIT_NOT_CONNECTED 3 /* no socket, connection refused, knotd went away */
#define KNOTCTL_EXIT_PERMISSION 4    /* not allowed to use the socket or to control */
#define KNOTCTL_EXIT_PROTOCOL 5      /* knotd's reply could not be understood */
#define KNOTCTL_EXIT_ATTENTION 6     /* status: a massager has a fault latched or does not answer, or none is connected */

#endif
