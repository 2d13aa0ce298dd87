/*
 * The reference implementation, driven from ISG's tests and benchmark: Debian's libsrtp2.
 *
 *   libsrtp_harness peer SUITE protect|unprotect rtp|rtcp KEYSALT_HEX MKI_HEX|-
 *       reads one hex packet per line on stdin; answers "OK <hex>" or "ERR <srtp_err_status>"
 *   libsrtp_harness bench SECONDS
 *       prints "BENCH <op> <suite> <bytes> libsrtp <packets_per_s>" for protect, unprotect and
 *       reprotect of 172- and 1200-byte RTP with AEAD_AES_128_GCM and AES_CM_128_HMAC_SHA1_80
 *
 * Compiled by ISG at run time: gcc -O2 libsrtp_harness.c -lsrtp2
 */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PACKET 4096
#define BATCH 4096

static int set_policy(const char *suite, srtp_policy_t *p)
{
    if (strcmp(suite, "AES_CM_128_HMAC_SHA1_80") == 0) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    } else if (strcmp(suite, "AES_CM_128_HMAC_SHA1_32") == 0) {
        /* RFC 4568 6.2.2: SRTCP keeps the 80-bit tag */
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
    } else if (strcmp(suite, "AES_256_CM_HMAC_SHA1_80") == 0) {
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
    } else if (strcmp(suite, "AEAD_AES_128_GCM") == 0) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
    } else if (strcmp(suite, "AEAD_AES_256_GCM") == 0) {
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
    } else {
        return -1;
    }
    return 0;
}

static int unhex(const char *s, uint8_t *out, int max)
{
    int n = 0;
    while (s[0] && s[1] && s[0] != '\n' && s[0] != '\r') {
        unsigned v;
        if (n >= max || sscanf(s, "%2x", &v) != 1)
            return -1;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

struct keying {
    uint8_t key[64];
    uint8_t mki[16];
    int mki_len;
    srtp_master_key_t master;
    srtp_master_key_t *masters[1];
};

static srtp_t create(const char *suite, int inbound, struct keying *k)
{
    srtp_policy_t p;
    srtp_t s;
    memset(&p, 0, sizeof p);
    if (set_policy(suite, &p) != 0) {
        fprintf(stderr, "unknown suite %s\n", suite);
        exit(2);
    }
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.window_size = 1024;
    p.allow_repeat_tx = 0;
    if (k->mki_len > 0) {
        k->master.key = k->key;
        k->master.mki_id = k->mki;
        k->master.mki_size = (unsigned)k->mki_len;
        k->masters[0] = &k->master;
        p.keys = k->masters;
        p.num_master_keys = 1;
    } else {
        p.key = k->key;
    }
    if (srtp_create(&s, &p) != srtp_err_status_ok) {
        fprintf(stderr, "srtp_create failed for %s\n", suite);
        exit(2);
    }
    return s;
}

static int peer(int argc, char **argv)
{
    struct keying k;
    char line[2 * MAX_PACKET + 16];
    uint8_t buf[MAX_PACKET + SRTP_MAX_TRAILER_LEN];
    if (argc != 7) {
        fprintf(stderr, "usage: peer SUITE protect|unprotect rtp|rtcp KEYSALT_HEX MKI_HEX|-\n");
        return 2;
    }
    memset(&k, 0, sizeof k);
    const char *suite = argv[2];
    int protect = strcmp(argv[3], "protect") == 0;
    int rtcp = strcmp(argv[4], "rtcp") == 0;
    if (unhex(argv[5], k.key, sizeof k.key) <= 0) {
        fprintf(stderr, "bad key\n");
        return 2;
    }
    k.mki_len = strcmp(argv[6], "-") == 0 ? 0 : unhex(argv[6], k.mki, sizeof k.mki);
    srtp_t s = create(suite, !protect, &k);
    int use_mki = k.mki_len > 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin)) {
        int len = unhex(line, buf, MAX_PACKET);
        srtp_err_status_t st;
        if (len < 0) {
            printf("ERR bad-hex\n");
            continue;
        }
        if (protect)
            st = rtcp ? srtp_protect_rtcp_mki(s, buf, &len, use_mki, 0) : srtp_protect_mki(s, buf, &len, use_mki, 0);
        else
            st = rtcp ? srtp_unprotect_rtcp_mki(s, buf, &len, use_mki) : srtp_unprotect_mki(s, buf, &len, use_mki);
        if (st != srtp_err_status_ok) {
            printf("ERR %d\n", (int)st);
            continue;
        }
        printf("OK ");
        for (int i = 0; i < len; i++)
            printf("%02x", buf[i]);
        printf("\n");
    }
    srtp_dealloc(s);
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void rtp_header(uint8_t *b, uint16_t seq, uint32_t ssrc)
{
    b[0] = 0x80;
    b[1] = 0x00;
    b[2] = seq >> 8;
    b[3] = seq & 0xff;
    memset(b + 4, 0, 4);
    b[8] = ssrc >> 24;
    b[9] = ssrc >> 16;
    b[10] = ssrc >> 8;
    b[11] = ssrc;
}

static void fill_key(struct keying *k, uint8_t seed)
{
    memset(k, 0, sizeof *k);
    for (int i = 0; i < 46; i++)
        k->key[i] = (uint8_t)(seed + 7 * i);
}

/* Packets/s of one operation; batches of input are made by an untimed sender. */
static void bench_suite(const char *suite, int size, double seconds)
{
    static uint8_t batch[BATCH][MAX_PACKET + SRTP_MAX_TRAILER_LEN];
    static int lens[BATCH];
    uint8_t work[MAX_PACKET + SRTP_MAX_TRAILER_LEN];
    uint8_t plain[MAX_PACKET];
    struct keying ka, kb;
    const uint32_t ssrc = 0x11223344;
    fill_key(&ka, 1);
    fill_key(&kb, 2);
    memset(plain, 0xab, sizeof plain);

    /* protect: copy the plain packet in, protect it */
    {
        srtp_t tx = create(suite, 0, &ka);
        uint16_t seq = 0;
        long n = 0;
        double t0 = now(), t;
        do {
            for (int i = 0; i < 1024; i++) {
                int len = size;
                memcpy(work, plain, size);
                rtp_header(work, seq++, ssrc);
                if (srtp_protect(tx, work, &len) != srtp_err_status_ok)
                    exit(3);
            }
            n += 1024;
            t = now();
        } while (t - t0 < seconds);
        printf("BENCH protect %s %d libsrtp %.0f\n", suite, size, n / (t - t0));
        srtp_dealloc(tx);
    }
    /* unprotect and reprotect: unprotect with A (and protect with B), in place */
    for (int reprotect = 0; reprotect <= 1; reprotect++) {
        srtp_t src = create(suite, 0, &ka);
        srtp_t rx = create(suite, 1, &ka);
        srtp_t tx = create(suite, 0, &kb);
        uint16_t seq = 0;
        long n = 0;
        double busy = 0;
        do {
            for (int i = 0; i < BATCH; i++) {
                memcpy(batch[i], plain, size);
                rtp_header(batch[i], seq++, ssrc);
                lens[i] = size;
                if (srtp_protect(src, batch[i], &lens[i]) != srtp_err_status_ok)
                    exit(3);
            }
            double t0 = now();
            for (int i = 0; i < BATCH; i++) {
                if (srtp_unprotect(rx, batch[i], &lens[i]) != srtp_err_status_ok)
                    exit(4);
                if (reprotect && srtp_protect(tx, batch[i], &lens[i]) != srtp_err_status_ok)
                    exit(5);
            }
            busy += now() - t0;
            n += BATCH;
        } while (busy < seconds);
        printf("BENCH %s %s %d libsrtp %.0f\n", reprotect ? "reprotect" : "unprotect", suite, size, n / busy);
        srtp_dealloc(src);
        srtp_dealloc(rx);
        srtp_dealloc(tx);
    }
}

static int bench(int argc, char **argv)
{
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    const char *suites[] = {"AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"};
    const int sizes[] = {172, 1200};
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int s = 0; s < 2; s++)
        for (int z = 0; z < 2; z++)
            bench_suite(suites[s], sizes[z], seconds);
    return 0;
}

int main(int argc, char **argv)
{
    if (srtp_init() != srtp_err_status_ok) {
        fprintf(stderr, "srtp_init failed\n");
        return 2;
    }
    if (argc >= 2 && strcmp(argv[1], "peer") == 0)
        return peer(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        return bench(argc, argv);
    fprintf(stderr, "usage: libsrtp_harness peer ... | bench SECONDS\n");
    return 2;
}
