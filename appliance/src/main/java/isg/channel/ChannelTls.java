package isg.channel;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Vector;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;

/**
 * The TLS profile of the channel between gateways, on Bouncy Castle FIPS's TLS protocol classes:
 * TLS 1.3 only (TLS 1.2 with ECDHE-ECDSA AES-GCM only for a partner configured for it), the
 * suites TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384, groups P-256 and P-384, signatures
 * ecdsa_secp256r1_sha256 only, and both sides authenticate. The cryptography is the BC FIPS
 * provider's (approved-only when the JVM runs approved-only), the records' AES-GCM as
 * {@link ChannelCrypto} says; the gateway's handshake signature is the vault's ({@link LocalIdentity}).
 */
public final class ChannelTls {

    static final int[] SUITES_13 = {CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384};
    static final int[] SUITES_12 = {CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384};
    /** ecdsa_secp256r1_sha256 (0x0403): in TLS 1.2 terms hash sha256 (4), signature ecdsa (3). */
    static final SignatureAndHashAlgorithm ECDSA_P256_SHA256 = SignatureAndHashAlgorithm.getInstance(
            org.bouncycastle.tls.HashAlgorithm.sha256, org.bouncycastle.tls.SignatureAlgorithm.ecdsa);
    static final int[] GROUPS = {NamedGroup.secp256r1, NamedGroup.secp384r1};
    /** Bound on one handshake message (a certificate chain of a few P-256 certificates is ~2 KiB). */
    static final int MAX_HANDSHAKE_MESSAGE = 32 * 1024;
    static final int MAX_CHAIN = 5;

    private final TlsCrypto crypto;
    private final LocalIdentity identity;
    private final List<PartnerTrust> partners;
    private final Clock clock;

    public ChannelTls(LocalIdentity identity, List<PartnerTrust> partners, Clock clock) {
        this(identity, partners, clock, "fips");
    }

    /** {@code backend}: the record layer's AES-GCM, "jdk" or "fips" ({@link ChannelCrypto}). */
    public ChannelTls(LocalIdentity identity, List<PartnerTrust> partners, Clock clock, String backend) {
        this.crypto = ChannelCrypto.of(backend);
        this.identity = identity;
        this.partners = List.copyOf(partners);
        this.clock = clock;
    }

    public LocalIdentity identity() {
        return identity;
    }

    /** "jdk" or "fips": whose AES-GCM protects the records. */
    public String recordCrypto() {
        return ((ChannelCrypto) crypto).records();
    }

    /** What one handshake decided: the partner it authenticated, or why it was refused. */
    static final class Outcome {
        volatile PartnerTrust partner;
        volatile Refusal refusal;
        volatile String detail;
        volatile X509Certificate peerLeaf;
        volatile ProtocolVersion version;
        volatile int cipherSuite;

        void refuse(Refusal r, String why) {
            if (refusal == null) {
                refusal = r;
                detail = why;
            }
        }
    }

    private static Vector<SignatureAndHashAlgorithm> sigAlgs() {
        Vector<SignatureAndHashAlgorithm> v = new Vector<>();
        v.add(ChannelTls.ECDSA_P256_SHA256);
        return v;
    }

    private static boolean offersOurSignature(Vector<?> algs) {
        return algs != null && algs.contains(ChannelTls.ECDSA_P256_SHA256);
    }

    static List<X509Certificate> chainOf(Certificate c) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        for (int i = 0; i < c.getLength(); i++) {
            out.add(LocalIdentity.certificate(c.getCertificateAt(i).getEncoded(), "the peer's certificate " + i));
        }
        return out;
    }

    private static short alertFor(Refusal r) {
        switch (r) {
            case NO_CERTIFICATE:
                return AlertDescription.certificate_required;
            case UNKNOWN_CA:
                return AlertDescription.unknown_ca;
            case EXPIRED:
            case NOT_YET_VALID:
                return AlertDescription.certificate_expired;
            case REVOKED:
                return AlertDescription.certificate_revoked;
            case REVOCATION_UNKNOWN:
                return AlertDescription.certificate_unknown;
            case TLS_VERSION:
                return AlertDescription.protocol_version;
            case NO_COMMON_ALGORITHM:
                return AlertDescription.handshake_failure;
            default:
                return AlertDescription.bad_certificate;
        }
    }

    private TlsFatalAlert refuse(Outcome o, Refusal r, String why) {
        o.refuse(r, why);
        return new TlsFatalAlert(alertFor(r), why);
    }

    /** Checks a chain against every partner; the most specific refusal wins over "unknown CA". */
    PartnerTrust identify(List<X509Certificate> chain, Outcome o) throws TlsFatalAlert {
        PartnerTrust.Verdict best = null;
        for (PartnerTrust p : partners) {
            PartnerTrust.Verdict v = p.verify(chain, clock.instant());
            if (v.accepted()) {
                return p;
            }
            if (best == null || (best.refusal() == Refusal.UNKNOWN_CA && v.refusal() != Refusal.UNKNOWN_CA)) {
                best = v;
            }
        }
        if (best == null) {
            throw refuse(o, Refusal.UNKNOWN_CA, "no partner is configured");
        }
        throw refuse(o, best.refusal(), best.detail());
    }

    boolean anyTls12() {
        return partners.stream().anyMatch(PartnerTrust::tls12);
    }

    /** The server side of one connection (the partner is known once its certificate is checked). */
    GatewayServer server(Outcome outcome) {
        return new GatewayServer(outcome, true);
    }

    /** A TLS 1.3 server that asks for no client certificate (HTTPS on the inside: clients bring bearer tokens). */
    GatewayServer insideServer(Outcome outcome) {
        return new GatewayServer(outcome, false);
    }

    /** The client side of one connection to {@code partner}. */
    GatewayClient client(PartnerTrust partner, Outcome outcome) {
        return new GatewayClient(partner, outcome);
    }

    final class GatewayServer extends DefaultTlsServer {
        private final Outcome outcome;
        /** Partner gateways authenticate with certificates; inside HTTPS clients do not. */
        private final boolean mutual;

        GatewayServer(Outcome outcome, boolean mutual) {
            super(crypto);
            this.outcome = outcome;
            this.mutual = mutual;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return mutual && anyTls12() ? ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12)
                    : ProtocolVersion.TLSv13.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return mutual && anyTls12() ? SUITES_12.clone() : SUITES_13.clone();
        }

        @Override
        public int[] getSupportedGroups() {
            return GROUPS.clone();
        }

        @Override
        public int getMaxHandshakeMessageSize() {
            return MAX_HANDSHAKE_MESSAGE;
        }

        @Override
        public int getMaxCertificateChainLength() {
            return MAX_CHAIN;
        }

        /** TLS 1.2 ECDHE: P-256 or P-384 only, in the client's order (never X25519: not approved). */
        @Override
        protected int selectECDH(int minimumCurveBits) {
            int[] offered = context.getSecurityParametersHandshake().getClientSupportedGroups();
            if (offered != null) {
                for (int g : offered) {
                    for (int ours : GROUPS) {
                        if (g == ours && NamedGroup.getCurveBits(g) >= minimumCurveBits) {
                            return g;
                        }
                    }
                }
            }
            return -1;
        }

        @Override
        public CertificateRequest getCertificateRequest() throws IOException {
            if (!mutual) {
                return null;
            }
            if (TlsUtils.isTLSv13(context)) {
                return new CertificateRequest(TlsUtils.EMPTY_BYTES, sigAlgs(), null, null);
            }
            return new CertificateRequest(new short[] {ClientCertificateType.ecdsa_sign}, sigAlgs(), null);
        }

        @Override
        public TlsCredentials getCredentials() throws IOException {
            if (!offersOurSignature(context.getSecurityParametersHandshake().getClientSigAlgs())) {
                throw refuse(outcome, Refusal.NO_COMMON_ALGORITHM,
                        "the peer does not accept ecdsa_secp256r1_sha256 signatures");
            }
            if (!identity.available()) {
                throw refuse(outcome, Refusal.VAULT_UNAVAILABLE, "the vault is unavailable");
            }
            return identity.credentials(context, crypto, TlsUtils.isTLSv13(context) ? TlsUtils.EMPTY_BYTES : null);
        }

        @Override
        public void notifyClientCertificate(Certificate clientCertificate) throws IOException {
            if (clientCertificate == null || clientCertificate.isEmpty()) {
                throw refuse(outcome, Refusal.NO_CERTIFICATE, "the peer sent no certificate");
            }
            List<X509Certificate> chain = chainOf(clientCertificate);
            PartnerTrust p = identify(chain, outcome);
            if (!TlsUtils.isTLSv13(context) && !p.tls12()) {
                throw refuse(outcome, Refusal.TLS_VERSION, "partner " + p.partner() + " is not configured for TLS 1.2");
            }
            outcome.partner = p;
            outcome.peerLeaf = chain.get(0);
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            outcome.version = context.getServerVersion();
            outcome.cipherSuite = context.getSecurityParametersConnection().getCipherSuite();
        }
    }

    final class GatewayClient extends DefaultTlsClient {
        private final PartnerTrust partner;
        private final Outcome outcome;

        GatewayClient(PartnerTrust partner, Outcome outcome) {
            super(crypto);
            this.partner = partner;
            this.outcome = outcome;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return partner.tls12() ? ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12) : ProtocolVersion.TLSv13.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return partner.tls12() ? SUITES_12.clone() : SUITES_13.clone();
        }

        @Override
        protected Vector<Integer> getSupportedGroups(@SuppressWarnings("rawtypes") Vector namedGroupRoles) {
            Vector<Integer> v = new Vector<>();
            for (int g : GROUPS) {
                v.add(g);
            }
            return v;
        }

        @Override
        protected Vector<SignatureAndHashAlgorithm> getSupportedSignatureAlgorithms() {
            return sigAlgs();
        }

        @Override
        public int getMaxHandshakeMessageSize() {
            return MAX_HANDSHAKE_MESSAGE;
        }

        @Override
        public int getMaxCertificateChainLength() {
            return MAX_CHAIN;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                    Certificate c = serverCertificate.getCertificate();
                    if (c == null || c.isEmpty()) {
                        throw refuse(outcome, Refusal.NO_CERTIFICATE, "the partner sent no certificate");
                    }
                    List<X509Certificate> chain = chainOf(c);
                    PartnerTrust.Verdict v = partner.verify(chain, clock.instant());
                    if (!v.accepted()) {
                        throw refuse(outcome, v.refusal(), v.detail());
                    }
                    outcome.partner = partner;
                    outcome.peerLeaf = chain.get(0);
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                    if (!offersOurSignature(request.getSupportedSignatureAlgorithms())) {
                        throw refuse(outcome, Refusal.NO_COMMON_ALGORITHM,
                                "the partner does not accept ecdsa_secp256r1_sha256 client signatures");
                    }
                    if (!identity.available()) {
                        throw refuse(outcome, Refusal.VAULT_UNAVAILABLE, "the vault is unavailable");
                    }
                    return identity.credentials(context, crypto, request.getCertificateRequestContext());
                }
            };
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            outcome.version = context.getServerVersion();
            outcome.cipherSuite = context.getSecurityParametersConnection().getCipherSuite();
        }
    }
}
