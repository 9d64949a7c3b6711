/* SPDX-License-Identifier: MIT */
/* knot-usbtest.c - test-only libusb client: drives the massager protocol from stdin commands, one reply line each. */
#include <errno.h>
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "knot/proto.h"

static libusb_context *ut_ctx;
static libusb_device_handle *ut_dev;
static int ut_arrived, ut_left;
static libusb_hotplug_callback_handle ut_hp;

static long long ut_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ut_hotplug_cb(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *user)
{
    (void)ctx;
    (void)dev;
    (void)user;
    if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
        ut_arrived++;
    else
        ut_left++;
    return 0;
}

static int ut_open(const char *serial)
{
    libusb_device **list;
    ssize_t n = libusb_get_device_list(ut_ctx, &list);
    int rc = LIBUSB_ERROR_NOT_FOUND;

    if (n < 0)
        return (int)n;
    for (ssize_t i = 0; i < n && rc == LIBUSB_ERROR_NOT_FOUND; i++) {
        struct libusb_device_descriptor dd;
        libusb_device_handle *h;
        unsigned char s[64];

        if (libusb_get_device_descriptor(list[i], &dd) < 0 || dd.idVendor != KNOT_USB_VID ||
            dd.idProduct != KNOT_USB_PID)
            continue;
        if (libusb_open(list[i], &h) < 0)
            continue;
        if (serial && (libusb_get_string_descriptor_ascii(h, dd.iSerialNumber, s, sizeof(s)) < 0 ||
                       strcmp((char *)s, serial) != 0)) {
            libusb_close(h);
            continue;
        }
        rc = libusb_claim_interface(h, KNOT_USB_INTERFACE);
        if (rc < 0) {
            libusb_close(h);
            break;
        }
        ut_dev = h;
    }
    libusb_free_device_list(list, 1);
    return rc;
}

static int ut_in(uint8_t req, uint16_t value, void *buf, uint16_t len)
{
    return libusb_control_transfer(ut_dev, KNOT_RT_IN, req, value, KNOT_USB_INTERFACE, buf, len, 1000);
}

static int ut_out(uint8_t req, uint16_t value)
{
    return libusb_control_transfer(ut_dev, KNOT_RT_OUT, req, value, KNOT_USB_INTERFACE, NULL, 0, 1000);
}

/* wvalue: KNOT_STATUS_HEARTBEAT for the driving host's heartbeat, 0 for a read. */
static int ut_status(uint16_t wvalue, char *out, size_t len)
{
    struct knot_status st;
    int r = ut_in(KNOT_REQ_GET_STATUS, wvalue, &st, sizeof(st));

    if (r < 0)
        return r;
    if (r != KNOT_STATUS_SIZE && r != KNOT_STATUS_SIZE_1_0)
        return LIBUSB_ERROR_OVERFLOW;
    snprintf(out, len, "seq=%u level=%u ppm=%u current_ma=%u temp_dc=%d force_dn=%u faults=0x%x battery=%u last_stop=%u",
             knot_le16(st.seq), st.level, knot_le16(st.ppm), knot_le16(st.current_ma),
             (int16_t)knot_le16((uint16_t)st.temp_dc), knot_le16(st.force_dn), knot_le16(st.faults),
             st.battery_pct, st.last_stop);
    if (r == KNOT_STATUS_SIZE)
        snprintf(out + strlen(out), len - strlen(out), " run_ms=%u rise_wait_ms=%u refusal=%u refused_level=%u refusals=%u",
                 knot_le32(st.run_ms), knot_le16(st.rise_wait_ms), st.refusal, st.refused_level,
                 knot_le16(st.refusals));
    return 0;
}

static void ut_reply_err(int rc)
{
    printf("err %s\n", libusb_error_name(rc));
}

static void ut_command(char *line)
{
    char *cmd = strtok(line, " \t\n");
    char *arg = strtok(NULL, " \t\n");
    char *arg2 = strtok(NULL, " \t\n");
    char buf[512];
    int rc;

    if (!cmd) {
        printf("err empty\n");
    } else if (!strcmp(cmd, "open")) {
        rc = ut_open(arg);
        if (rc < 0)
            ut_reply_err(rc);
        else
            printf("ok\n");
    } else if (!strcmp(cmd, "count")) {
        libusb_device **list;
        ssize_t n = libusb_get_device_list(ut_ctx, &list);
        int k = 0;
        for (ssize_t i = 0; i < n; i++) {
            struct libusb_device_descriptor dd;
            if (libusb_get_device_descriptor(list[i], &dd) == 0 && dd.idVendor == KNOT_USB_VID &&
                dd.idProduct == KNOT_USB_PID)
                k++;
        }
        if (n >= 0)
            libusb_free_device_list(list, 1);
        printf("ok %d\n", k);
    } else if (!ut_dev && strcmp(cmd, "hotplug") && strcmp(cmd, "wait") && strcmp(cmd, "sleep")) {
        printf("err not open\n");
    } else if (!strcmp(cmd, "info")) {
        struct knot_info in;
        char ppm[128] = "";
        rc = ut_in(KNOT_REQ_GET_INFO, 0, &in, sizeof(in));
        if (rc < 0) {
            ut_reply_err(rc);
            return;
        }
        for (int i = 0; i < in.levels && i < KNOT_MAX_LEVELS; i++)
            snprintf(ppm + strlen(ppm), sizeof(ppm) - strlen(ppm), "%s%u", i ? "," : "", knot_le16(in.ppm[i]));
        printf("ok bytes=%d proto=%u.%u fw=0x%04x levels=%u watchdog_ms=%u serial=%.16s ppm=%s", rc,
               in.proto_major, in.proto_minor, knot_le16(in.fw_version), in.levels, knot_le16(in.watchdog_ms),
               in.serial, ppm);
        if (rc >= KNOT_INFO_SIZE)
            printf(" trial_ms=%u rise_gap_ms=%u ceiling_s=%u rest_s=%u", knot_le16(in.trial_ms),
                   knot_le16(in.rise_gap_ms), knot_le16(in.ceiling_s), knot_le16(in.rest_s));
        printf("\n");
    } else if (!strcmp(cmd, "level") && arg) {
        rc = ut_out(KNOT_REQ_SET_LEVEL, (uint16_t)atoi(arg));
        if (rc < 0)
            ut_reply_err(rc);
        else
            printf("ok\n");
    } else if (!strcmp(cmd, "clear")) {
        rc = ut_out(KNOT_REQ_CLEAR_FAULT, 0);
        if (rc < 0)
            ut_reply_err(rc);
        else
            printf("ok\n");
    } else if (!strcmp(cmd, "status")) {
        rc = ut_status(0, buf, sizeof(buf));
        if (rc < 0)
            ut_reply_err(rc);
        else
            printf("ok %s\n", buf);
    } else if (!strcmp(cmd, "poll") && arg) {
        /* The heartbeat: a status read every KNOT_HEARTBEAT_MS for the given time. */
        long long end = ut_now_ms() + atoi(arg);
        int polls = 0;
        rc = 0;
        while (ut_now_ms() < end && (rc = ut_status(KNOT_STATUS_HEARTBEAT, buf, sizeof(buf))) == 0) {
            polls++;
            usleep(KNOT_HEARTBEAT_MS * 1000);
        }
        if (rc < 0)
            ut_reply_err(rc);
        else if ((rc = ut_status(KNOT_STATUS_HEARTBEAT, buf, sizeof(buf))) < 0)
            ut_reply_err(rc);
        else
            printf("ok polls=%d %s\n", polls, buf);
    } else if (!strcmp(cmd, "sleep") && arg) {
        usleep((useconds_t)atoi(arg) * 1000);
        printf("ok\n");
    } else if (!strcmp(cmd, "hotplug")) {
        rc = libusb_hotplug_register_callback(ut_ctx,
            LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
            KNOT_USB_VID, KNOT_USB_PID, LIBUSB_HOTPLUG_MATCH_ANY, ut_hotplug_cb, NULL, &ut_hp);
        if (rc < 0)
            ut_reply_err(rc);
        else
            printf("ok\n");
    } else if (!strcmp(cmd, "wait") && arg && arg2) {
        int *counter = !strcmp(arg, "arrived") ? &ut_arrived : &ut_left;
        int start = *counter;
        long long end = ut_now_ms() + atoi(arg2);
        while (*counter == start && ut_now_ms() < end) {
            struct timeval tv = { 0, 20000 };
            libusb_handle_events_timeout_completed(ut_ctx, &tv, NULL);
        }
        if (*counter == start) {
            printf("err timeout\n");
        } else {
            printf("ok\n");
        }
    } else if (!strcmp(cmd, "close")) {
        libusb_release_interface(ut_dev, KNOT_USB_INTERFACE);
        libusb_close(ut_dev);
        ut_dev = NULL;
        printf("ok\n");
    } else {
        printf("err unknown command '%s'\n", cmd);
    }
}

int main(void)
{
    char line[256];
    int rc = libusb_init(&ut_ctx);

    if (rc < 0) {
        fprintf(stderr, "knot-usbtest: libusb_init: %s\n", libusb_error_name(rc));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    while (fgets(line, sizeof(line), stdin)) {
        if (!strncmp(line, "quit", 4))
            break;
        ut_command(line);
    }
    if (ut_dev) {
        libusb_release_interface(ut_dev, KNOT_USB_INTERFACE);
        libusb_close(ut_dev);
    }
    if (ut_hp)
        libusb_hotplug_deregister_callback(ut_ctx, ut_hp);
    libusb_exit(ut_ctx);
    return 0;
}
