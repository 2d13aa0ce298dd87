package isg.channel;

import isg.hsm.Actor;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.DefaultTlsCredentialedSigner;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.TlsSigner;
import org.bouncycastle.tls.crypto.TlsStreamSigner;

/**
 * This gateway's TLS identity: an EC P-256 key pair in the vault (purpose TLS_IDENTITY; the
 * private half is never extractable) and the certificate issued for it (purpose TLS_CERTIFICATE
 * in the vault), plus any intermediate certificates from a file. The handshake signature
 * (CertificateVerify) is computed by the vault: {@link #credentials} hands BC's TLS a signer that
 * collects the signed content and asks the vault for ECDSA-SHA256 over it.
 */
public final class LocalIdentity {

    private final KeyVault vault;
    private final String keyUri;
    private final List<X509Certificate> chain;

    private LocalIdentity(KeyVault vault, String keyUri, List<X509Certificate> chain) {
        this.vault = vault;
        this.keyUri = keyUri;
        this.chain = List.copyOf(chain);
    }

    /**
     * Loads the identity; refuses a key that is not a TLS identity, a certificate that is not for
     * that key, or one that is not P-256, each naming what is wrong.
     */
    public static LocalIdentity load(KeyVault vault, String keyUri, String certificateUri,
            List<X509Certificate> intermediates) throws VaultException, IOException {
        var key = vault.info(Actor.INTERNAL, keyUri);
        if (key.purpose() != KeyPurpose.TLS_IDENTITY) {
            throw new IOException(keyUri + " is a " + key.purpose() + " key, not a TLS_IDENTITY key");
        }
        var cert = vault.info(Actor.INTERNAL, certificateUri);
        if (cert.purpose() != KeyPurpose.TLS_CERTIFICATE) {
            throw new IOException(certificateUri + " is a " + cert.purpose() + " entry, not a TLS_CERTIFICATE");
        }
        X509Certificate leaf = certificate(vault.exportPublic(Actor.INTERNAL, certificateUri), certificateUri);
        byte[] spki = vault.exportPublic(Actor.INTERNAL, keyUri);
        if (!MessageDigest.isEqual(spki, leaf.getPublicKey().getEncoded())) {
            throw new IOException("the certificate " + certificateUri + " (" + leaf.getSubjectX500Principal().getName()
                    + ") is not for the key " + keyUri + ": make a request with 'isg keys csr' and import what the CA issues");
        }
        if (!PartnerTrust.isP256(leaf.getPublicKey())) {
            throw new IOException("the certificate " + certificateUri + " is not for an EC P-256 key");
        }
        List<X509Certificate> all = new ArrayList<>();
        all.add(leaf);
        all.addAll(intermediates);
        return new LocalIdentity(vault, keyUri, all);
    }

    static X509Certificate certificate(byte[] der, String where) throws IOException {
        try {
            return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509", isg.hsm.Fips.PROVIDER)
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            throw new IOException(where + ": not an X.509 certificate: " + e.getMessage());
        }
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /** Whether the vault can sign now: a down vault fails new handshakes fast. */
    public boolean available() {
        return vault.healthy();
    }

    /** Credentials for one handshake (ECDSA P-256 SHA-256), the certificate list framed for its version. */
    TlsCredentialedSigner credentials(TlsContext context, TlsCrypto crypto, byte[] requestContext) throws IOException {
        CertificateEntry[] entries = new CertificateEntry[chain.size()];
        for (int i = 0; i < entries.length; i++) {
            try {
                entries[i] = new CertificateEntry(crypto.createCertificate(chain.get(i).getEncoded()), null);
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new TlsFatalAlert(AlertDescription.internal_error, e);
            }
        }
        Certificate certificate = new Certificate(requestContext, entries);
        return new DefaultTlsCredentialedSigner(new TlsCryptoParameters(context), new VaultSigner(),
                certificate, ChannelTls.ECDSA_P256_SHA256);
    }

    /** Raised when the vault could not sign; the connection counts it as VAULT_UNAVAILABLE. */
    static final class VaultSignFailure extends TlsFatalAlert {
        VaultSignFailure(VaultException cause) {
            super(AlertDescription.internal_error, "the vault could not sign: " + cause.getMessage(), cause);
        }
    }

    private final class VaultSigner implements TlsSigner {
        @Override
        public byte[] generateRawSignature(SignatureAndHashAlgorithm algorithm, byte[] hash) throws IOException {
            // Only called for signers without a stream form; ours always has one.
            throw new TlsFatalAlert(AlertDescription.internal_error, "raw ECDSA over a precomputed hash is not offered");
        }

        @Override
        public TlsStreamSigner getStreamSigner(SignatureAndHashAlgorithm algorithm) throws IOException {
            if (algorithm == null || !algorithm.equals(ChannelTls.ECDSA_P256_SHA256)) {
                throw new TlsFatalAlert(AlertDescription.internal_error, "the vault key signs ecdsa_secp256r1_sha256 only");
            }
            ByteArrayOutputStream content = new ByteArrayOutputStream(256);
            return new TlsStreamSigner() {
                @Override
                public OutputStream getOutputStream() {
                    return content;
                }

                @Override
                public byte[] getSignature() throws IOException {
                    byte[] data = content.toByteArray();
                    try {
                        return vault.sign(Actor.INTERNAL, keyUri, data);
                    } catch (VaultException e) {
                        throw new VaultSignFailure(e);
                    } finally {
                        Arrays.fill(data, (byte) 0);
                    }
                }
            };
        }
    }
}
