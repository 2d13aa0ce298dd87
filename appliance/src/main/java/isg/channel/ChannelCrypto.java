package isg.channel;

import isg.hsm.Fips;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Security;
import org.bouncycastle.crypto.CryptoServicesRegistrar;
import org.bouncycastle.jcajce.util.ProviderJcaJceHelper;
import org.bouncycastle.tls.crypto.impl.TlsAEADCipherImpl;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JceAEADCipherImpl;

/**
 * The channel's TLS cryptography: everything from the BC FIPS provider (key exchange, HKDF,
 * signatures' verification, randomness), and the record layer's AES-GCM either from it too
 * ({@code fips}) or from the JDK's AES-GCM ({@code jdk}), following the gateway's
 * {@code crypto.backend} as the media engine does. Why: BC FIPS's GCM builds and disposes a
 * native context per record, and measured here it delivers 50 to 1200 MB/s from one second to the
 * next; the JDK's intrinsic GCM holds 1.4-1.8 GB/s. In approved-only mode it is always {@code fips}.
 */
final class ChannelCrypto extends JcaTlsCrypto {

    private final ProviderJcaJceHelper records;

    private ChannelCrypto(boolean jdkRecords) {
        super(new ProviderJcaJceHelper(Fips.PROVIDER), Fips.DRBG, Fips.DRBG);
        Provider sun = Security.getProvider("SunJCE");
        this.records = jdkRecords && sun != null ? new ProviderJcaJceHelper(sun) : null;
    }

    /** {@code backend} is "jdk" or "fips"; approved-only mode makes it "fips". */
    static ChannelCrypto of(String backend) {
        return new ChannelCrypto("jdk".equals(backend) && !CryptoServicesRegistrar.isInApprovedOnlyMode());
    }

    /** Which AES-GCM protects the records: "jdk" or "fips". */
    String records() {
        return records == null ? "fips" : "jdk";
    }

    @Override
    protected TlsAEADCipherImpl createAEADCipher(String cipherName, String algorithm, int keySize, boolean isEncrypting)
            throws GeneralSecurityException {
        if (records != null && cipherName.startsWith("AES/GCM")) {
            return new JceAEADCipherImpl(this, records, cipherName, algorithm, keySize, isEncrypting);
        }
        return super.createAEADCipher(cipherName, algorithm, keySize, isEncrypting);
    }
}
