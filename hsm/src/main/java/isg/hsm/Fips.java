package isg.hsm;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider;

/** The Bouncy Castle FIPS provider and its DRBG, shared by this module. */
public final class Fips {

    public static final Provider PROVIDER = new BouncyCastleFipsProvider();
    public static final SecureRandom DRBG;

    static {
        try {
            DRBG = SecureRandom.getInstance("DEFAULT", PROVIDER);
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Fips() {
    }
}
