/* SPDX-License-Identifier: MIT */
/* usbfs.c - emulates one massager's usbdevfs node and sysfs entry on a umockdev testbed. */
#include "usbfs.h"

#include <errno.h>
#include <glib.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <stdio.h>
#include <string.h>

#include "trace.h"

/* A control URB as the device sees it: kept from SUBMITURB until reaped. */
struct usbfs_urb {
    UMockdevIoctlData *urb;    /* resolved struct usbdevfs_urb (local copy) */
    UMockdevIoctlData *buf;    /* resolved transfer buffer, setup packet first */
    bool done;
    int status;                /* 0 or negative errno, as the kernel reports */
    int actual;                /* data stage bytes, setup excluded */
};

struct usbfs_dev {
    GMutex lock;               /* the ioctl worker thread and the main loop both enter */
    UMockdevTestbed *tb;
    UMockdevIoctlBase *handler;
    struct usbfs_params p;
    char syspath_rel[64];      /* "/devices/knot-sim/usbN" */
    char *syspath;             /* as the testbed names it once added */
    char devnode[64];          /* "/dev/bus/usb/00N/001" */
    struct kdev core;
    bool core_ready;
    bool plugged;
    bool hung;                 /* the scene's, not the firmware's: survives replug */
    unsigned fail_next;
    uint16_t fault_at_raise;   /* latch these when the next raise arrives */
    uint64_t remove_at_ms;     /* unplugged, its removal event not sent yet (unplug late); 0 = none */
    unsigned monitor_ms;       /* another program's status reads (scene "monitor"); 0 = none */
    uint64_t monitor_next_ms;
    GQueue urbs;               /* struct usbfs_urb *, in submission order */
};

static void usbfs_trace_cb(void *ctx, const struct kdev_note *n)
{
    struct usbfs_dev *d = ctx;

    trace_note(d->p.dev.serial, n);
}

static void usbfs_urb_free(struct usbfs_urb *u)
{
    if (u->buf)
        g_object_unref(u->buf);
    g_object_unref(u->urb);
    g_free(u);
}

/* Run the control request through the firmware core and record the result. */
static void usbfs_complete(struct usbfs_dev *d, struct usbfs_urb *u)
{
    struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->urb->data;
    uint8_t *buf = u->buf ? u->buf->data : NULL;
    int r;

    u->done = true;
    u->actual = 0;
    if (!d->plugged) {
        u->status = -ENODEV;
        return;
    }
    if (d->fail_next > 0) {
        /* A protocol error as a flaky cable gives; libusb reports LIBUSB_ERROR_IO. */
        d->fail_next--;
        u->status = -EPROTO;
        trace_event("error injected dev=%s", d->p.dev.serial);
        return;
    }
    if (d->p.trace_requests)
        trace_request(d->p.dev.serial, buf);
    if (d->fault_at_raise && buf[0] == KNOT_RT_OUT && buf[1] == KNOT_REQ_SET_LEVEL &&
        (unsigned)(buf[2] | buf[3] << 8) > d->core.level) {
        /* The fault latches as the raise arrives: what a fault just after the
         * host's last status read looks like, made deterministic. */
        kdev_inject_fault(&d->core, d->fault_at_raise, trace_now_ms());
        d->fault_at_raise = 0;
    }
    r = kdev_control(&d->core, buf, buf + 8, (size_t)urb->buffer_length - 8, trace_now_ms());
    if (r < 0) {
        u->status = -EPIPE;
        return;
    }
    u->status = 0;
    u->actual = (buf[0] & 0x80) ? r : (int)((size_t)urb->buffer_length - 8);
}

/* Copy a submitted URB and its buffer out of the client. Not under the
 * lock: each resolve is a round trip to the client, and a client stopped
 * mid-ioctl (SIGSTOP) must not stop the firmware's clock (its watchdog). */
static int usbfs_submit_resolve(UMockdevIoctlData *arg, struct usbfs_urb **out)
{
    UMockdevIoctlData *urb_data;
    struct usbdevfs_urb *urb;
    struct usbfs_urb *u;

    urb_data = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
    if (!urb_data)
        return -EFAULT;
    urb = (struct usbdevfs_urb *)urb_data->data;
    /* The massager has only endpoint 0: everything is a control transfer. */
    if (urb->type != USBDEVFS_URB_TYPE_CONTROL || (urb->endpoint & 0x7f) != 0 ||
        urb->buffer_length < 8 || urb->buffer_length > 4096) {
        g_object_unref(urb_data);
        return -EINVAL;
    }
    u = g_new0(struct usbfs_urb, 1);
    u->urb = urb_data;
    u->buf = umockdev_ioctl_data_resolve(urb_data, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer),
                                         (gsize)urb->buffer_length, NULL);
    if (!u->buf) {
        usbfs_urb_free(u);
        return -EFAULT;
    }
    *out = u;
    return 0;
}

/* Under the lock: the device takes the URB (and owns it from here on). */
static int usbfs_submit(struct usbfs_dev *d, struct usbfs_urb *u)
{
    if (!d->plugged) {
        usbfs_urb_free(u);
        return -ENODEV;
    }
    if (!d->hung)
        usbfs_complete(d, u);
    g_queue_push_tail(&d->urbs, u);
    return 0;
}

static struct usbfs_urb *usbfs_first_done(struct usbfs_dev *d)
{
    for (GList *l = d->urbs.head; l; l = l->next) {
        struct usbfs_urb *u = l->data;
        if (u->done) {
            g_queue_delete_link(&d->urbs, l);
            return u;
        }
    }
    return NULL;
}

/* Under the lock; holder (the client's pointer to fill) was resolved before it. */
static int usbfs_reap(struct usbfs_dev *d, UMockdevIoctlData *holder)
{
    struct usbfs_urb *u = usbfs_first_done(d);
    struct usbdevfs_urb *urb;

    if (!u)
        return d->plugged ? -EAGAIN : -ENODEV;
    urb = (struct usbdevfs_urb *)u->urb->data;
    urb->status = u->status;
    urb->actual_length = u->actual;
    /* update() marks both blocks for writing back into the client's memory. */
    umockdev_ioctl_data_update(u->urb, 0, u->urb->data, u->urb->data_len);
    umockdev_ioctl_data_update(u->buf, 0, u->buf->data, u->buf->data_len);
    if (holder)
        umockdev_ioctl_data_set_ptr(holder, 0, u->urb);
    usbfs_urb_free(u);
    return 0;
}

static int usbfs_discard(struct usbfs_dev *d, UMockdevIoctlData *arg)
{
    gulong addr = *(gulong *)arg->data;

    for (GList *l = d->urbs.head; l; l = l->next) {
        struct usbfs_urb *u = l->data;
        if (u->urb->client_addr == addr && !u->done) {
            u->done = true;
            u->status = -ENOENT;
            u->actual = 0;
            return 0;
        }
    }
    return -EINVAL;
}

static gboolean usbfs_ioctl_cb(UMockdevIoctlBase *handler, UMockdevIoctlClient *client, gpointer user)
{
    struct usbfs_dev *d = user;
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client), *resolved = NULL;
    gulong req = umockdev_ioctl_client_get_request(client);
    struct usbfs_urb *u = NULL;
    int r = 0;

    (void)handler;
    /* Everything read from the client is read before the lock is taken (see
     * usbfs_submit_resolve); writing back happens in complete(), after it. */
    if (req == USBDEVFS_GET_CAPABILITIES)
        resolved = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);
    else if (req == USBDEVFS_REAPURB || req == USBDEVFS_REAPURBNDELAY)
        resolved = umockdev_ioctl_data_resolve(arg, 0, sizeof(void *), NULL);
    else if (req == USBDEVFS_SUBMITURB)
        r = usbfs_submit_resolve(arg, &u);
    g_mutex_lock(&d->lock);
    switch (req) {
    case USBDEVFS_GET_CAPABILITIES:
        if (resolved)
            *(guint32 *)resolved->data = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
                                         USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
        break;
    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE:
    case USBDEVFS_SETINTERFACE:
    case USBDEVFS_SETCONFIGURATION:
    case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESETEP:
    case USBDEVFS_RESET:
        r = d->plugged ? 0 : -ENODEV;
        break;
    case USBDEVFS_GETDRIVER:
        r = -ENODATA; /* no kernel driver bound to a vendor interface */
        break;
    case USBDEVFS_SUBMITURB:
        if (r == 0)
            r = usbfs_submit(d, u);
        break;
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
        r = usbfs_reap(d, resolved);
        break;
    case USBDEVFS_DISCARDURB:
        r = usbfs_discard(d, arg);
        break;
    default:
        r = -ENOTTY;
        break;
    }
    g_mutex_unlock(&d->lock);
    if (resolved)
        g_object_unref(resolved);
    umockdev_ioctl_client_complete(client, r < 0 ? -1 : r, r < 0 ? -r : 0);
    return TRUE;
}

/* Device, configuration and interface descriptors as sysfs "descriptors" holds them. */
static size_t usbfs_descriptors(const struct usbfs_dev *d, uint8_t *b)
{
    const uint8_t desc[] = {
        18, 1, 0x00, 0x02, 0, 0, 0, 64,
        d->p.vid & 0xff, d->p.vid >> 8, d->p.pid & 0xff, d->p.pid >> 8,
        d->p.dev.fw_version & 0xff, d->p.dev.fw_version >> 8,
        KDEV_STR_MANUFACTURER, KDEV_STR_PRODUCT, KDEV_STR_SERIAL, 1,
        9, 2, 18, 0, 1, 1, 0, 0x80, 250,
        9, 4, KNOT_USB_INTERFACE, 0, 0, KNOT_USB_CLASS, KNOT_USB_SUBCLASS, KNOT_USB_IFPROTO, 0,
    };
    memcpy(b, desc, sizeof(desc));
    return sizeof(desc);
}

struct usbfs_dev *usbfs_new(UMockdevTestbed *tb, const struct usbfs_params *p)
{
    struct usbfs_dev *d = g_new0(struct usbfs_dev, 1);

    g_mutex_init(&d->lock);
    g_queue_init(&d->urbs);
    d->tb = g_object_ref(tb);
    d->p = *p;
    /* One bus per massager keeps the emulated topology flat: bus N, device 1. */
    snprintf(d->syspath_rel, sizeof(d->syspath_rel), "/devices/knot-sim/usb%u", p->index);
    snprintf(d->devnode, sizeof(d->devnode), "/dev/bus/usb/%03u/001", p->index);
    d->handler = umockdev_ioctl_base_new();
    g_signal_connect(d->handler, "handle-ioctl", G_CALLBACK(usbfs_ioctl_cb), d);
    return d;
}

static void usbfs_drop_urbs(struct usbfs_dev *d)
{
    struct usbfs_urb *u;
    while ((u = g_queue_pop_head(&d->urbs)))
        usbfs_urb_free(u);
}

/* The removal as udev and libusb hear it: the uevent, then the node goes. */
static void usbfs_remove(struct usbfs_dev *d)
{
    d->remove_at_ms = 0;
    umockdev_testbed_uevent(d->tb, d->syspath, "remove");
    umockdev_testbed_remove_device(d->tb, d->syspath);
    umockdev_testbed_detach_ioctl(d->tb, d->devnode, NULL);
}

void usbfs_free(struct usbfs_dev *d)
{
    if (!d)
        return;
    if (d->plugged)
        usbfs_unplug(d);
    if (d->remove_at_ms)
        usbfs_remove(d);
    usbfs_drop_urbs(d);
    g_object_unref(d->handler);
    g_object_unref(d->tb);
    g_free(d->syspath);
    g_mutex_clear(&d->lock);
    g_free(d);
}

int usbfs_plug(struct usbfs_dev *d)
{
    uint8_t desc[64];
    size_t n = usbfs_descriptors(d, desc);
    GString *s;
    GError *err = NULL;
    char *hex;
    bool ok;

    if (d->remove_at_ms)
        usbfs_remove(d);   /* plugged in again before the removal was heard: it is heard first */
    g_mutex_lock(&d->lock);
    if (d->plugged) {
        g_mutex_unlock(&d->lock);
        return -EALREADY;
    }
    /* Power-up: the firmware starts from scratch, motor off. */
    kdev_init(&d->core, &d->p.dev, usbfs_trace_cb, d, trace_now_ms());
    d->core_ready = true;
    d->fail_next = 0;
    d->fault_at_raise = 0;
    usbfs_drop_urbs(d);
    d->plugged = true;
    g_mutex_unlock(&d->lock);

    /* The ioctl socket must exist before the node appears, or a fast client opens a plain file. */
    if (!umockdev_testbed_attach_ioctl(d->tb, d->devnode, d->handler, &err)) {
        g_printerr("knot-sim: cannot emulate %s: %s\n", d->devnode, err->message);
        g_clear_error(&err);
        return -EIO;
    }
    hex = g_malloc0(n * 2 + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", desc[i]);
    s = g_string_new(NULL);
    g_string_append_printf(s,
        "P: %s\nN: bus/usb/%03u/001\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n"
        "E: DEVNAME=%s\nE: BUSNUM=%03u\nE: DEVNUM=001\nE: PRODUCT=%x/%x/%x\n"
        "E: ID_SERIAL_SHORT=%s\n"
        "A: busnum=%u\\n\nA: devnum=1\\n\nA: speed=12\\n\nA: bConfigurationValue=1\\n\n"
        "A: idVendor=%04x\\n\nA: idProduct=%04x\\n\nA: serial=%s\\n\nH: descriptors=%s\n",
        d->syspath_rel, d->p.index, d->devnode, d->p.index, d->p.vid, d->p.pid, d->p.dev.fw_version,
        d->p.dev.serial, d->p.index, d->p.vid, d->p.pid, d->p.dev.serial, hex);
    ok = umockdev_testbed_add_from_string(d->tb, s->str, &err);
    g_string_free(s, TRUE);
    g_free(hex);
    if (!ok) {
        g_printerr("knot-sim: cannot add %s: %s\n", d->syspath_rel, err->message);
        g_clear_error(&err);
        return -EIO;
    }
    g_free(d->syspath);
    d->syspath = g_strconcat("/sys", d->syspath_rel, NULL);
    umockdev_testbed_uevent(d->tb, d->syspath, "add");
    trace_event("plug dev=%s", d->p.dev.serial);
    return 0;
}

int usbfs_unplug(struct usbfs_dev *d)
{
    return usbfs_unplug_late(d, 0);
}

int usbfs_unplug_late(struct usbfs_dev *d, unsigned late_ms)
{
    g_mutex_lock(&d->lock);
    if (!d->plugged) {
        g_mutex_unlock(&d->lock);
        return -EALREADY;
    }
    /* Power is gone: the motor stops with the plug, whatever the host thinks. */
    kdev_unplug(&d->core, trace_now_ms());
    d->plugged = false;
    for (GList *l = d->urbs.head; l; l = l->next) {
        struct usbfs_urb *u = l->data;
        if (!u->done) {
            u->done = true;
            u->status = -ENODEV;
            u->actual = 0;
        }
    }
    g_mutex_unlock(&d->lock);

    if (late_ms) {
        /* What a real kernel does: transfers fail with "no device" for a
         * while before the removal reaches udev and libusb. */
        d->remove_at_ms = trace_now_ms() + late_ms;
        trace_event("unplug dev=%s late=%u", d->p.dev.serial, late_ms);
        return 0;
    }
    usbfs_remove(d);
    trace_event("unplug dev=%s", d->p.dev.serial);
    return 0;
}

/* Run fn under the lock only while the device exists (plugged). */
#define USBFS_LOCKED(d, body)                                  \
    do {                                                       \
        g_mutex_lock(&(d)->lock);                              \
        if (!(d)->plugged) {                                   \
            g_mutex_unlock(&(d)->lock);                        \
            return -ENODEV;                                    \
        }                                                      \
        body;                                                  \
        g_mutex_unlock(&(d)->lock);                            \
    } while (0)

/* Unlike the other scene commands, hang also works on an unplugged massager:
 * one plugged in hung never answers its attach. */
int usbfs_hang(struct usbfs_dev *d, bool hang)
{
    g_mutex_lock(&d->lock);
    d->hung = hang;
    if (!hang && d->plugged) {
        /* Answer everything that waited, in order. */
        for (GList *l = d->urbs.head; l; l = l->next) {
            struct usbfs_urb *u = l->data;
            if (!u->done)
                usbfs_complete(d, u);
        }
    }
    g_mutex_unlock(&d->lock);
    trace_event("%s dev=%s", hang ? "hang" : "unhang", d->p.dev.serial);
    return 0;
}

int usbfs_fail_next(struct usbfs_dev *d, unsigned n)
{
    USBFS_LOCKED(d, d->fail_next = n);
    return 0;
}

int usbfs_fault(struct usbfs_dev *d, uint16_t fault)
{
    USBFS_LOCKED(d, kdev_inject_fault(&d->core, fault, trace_now_ms()));
    return 0;
}

int usbfs_fault_at_raise(struct usbfs_dev *d, uint16_t fault)
{
    USBFS_LOCKED(d, d->fault_at_raise |= fault);
    return 0;
}

int usbfs_clear(struct usbfs_dev *d)
{
    USBFS_LOCKED(d, kdev_clear_faults(&d->core, trace_now_ms()));
    return 0;
}

int usbfs_press(struct usbfs_dev *d, unsigned force_dn)
{
    USBFS_LOCKED(d, kdev_press(&d->core, (uint16_t)MIN(force_dn, 65535u), trace_now_ms()));
    return 0;
}

int usbfs_battery(struct usbfs_dev *d, unsigned pct)
{
    USBFS_LOCKED(d, kdev_set_battery(&d->core, pct, trace_now_ms()));
    return 0;
}

int usbfs_monitor(struct usbfs_dev *d, unsigned period_ms)
{
    USBFS_LOCKED(d, d->monitor_ms = period_ms; d->monitor_next_ms = trace_now_ms() + period_ms);
    return 0;
}

void usbfs_tick(struct usbfs_dev *d)
{
    uint64_t now = trace_now_ms();

    if (d->remove_at_ms && now >= d->remove_at_ms)
        usbfs_remove(d);
    g_mutex_lock(&d->lock);
    if (d->plugged)
        kdev_tick(&d->core, now);
    /* A monitor's read, as any program with the node open could send it. */
    while (d->plugged && d->monitor_ms && now >= d->monitor_next_ms) {
        const uint8_t setup[8] = { KNOT_RT_IN, KNOT_REQ_GET_STATUS, 0, 0, KNOT_USB_INTERFACE, 0,
                                   KNOT_STATUS_SIZE & 0xff, KNOT_STATUS_SIZE >> 8 };
        uint8_t buf[KNOT_STATUS_SIZE];

        kdev_control(&d->core, setup, buf, sizeof(buf), now);
        d->monitor_next_ms += d->monitor_ms;
    }
    g_mutex_unlock(&d->lock);
}

const char *usbfs_serial(const struct usbfs_dev *d)
{
    return d->p.dev.serial;
}

void usbfs_describe(struct usbfs_dev *d, char *buf, size_t len)
{
    struct knot_status st;

    g_mutex_lock(&d->lock);
    if (!d->plugged) {
        snprintf(buf, len, "dev=%s plugged=0", d->p.dev.serial);
    } else {
        kdev_tick(&d->core, trace_now_ms());
        kdev_status(&d->core, &st);
        snprintf(buf, len,
                 "dev=%s plugged=1 hung=%d level=%u ppm=%u current_ma=%u temp_dc=%d force_dn=%u "
                 "battery=%u faults=0x%x last_stop=%u",
                 d->p.dev.serial, d->hung, st.level, knot_le16(st.ppm), knot_le16(st.current_ma),
                 (int16_t)knot_le16((uint16_t)st.temp_dc), knot_le16(st.force_dn), st.battery_pct,
                 knot_le16(st.faults), st.last_stop);
    }
    g_mutex_unlock(&d->lock);
}
