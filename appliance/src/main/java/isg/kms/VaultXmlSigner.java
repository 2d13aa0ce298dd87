package isg.kms;

import isg.hsm.Actor;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import java.io.ByteArrayOutputStream;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.List;
import java.util.Map;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import org.w3c.dom.Document;

/**
 * Signs KMS-interface XML with a key that never leaves the vault: the JDK's XML Signature
 * ({@code javax.xml.crypto.dsig}) builds and canonicalises the signature, and its one signing
 * operation is routed to {@link KeyVault#sign} through a JCA provider of our own that offers only
 * that (ECDSA P-256 with SHA-256) and only for a {@link VaultKey}. The profile is the one TS 33.180
 * D.4.2 gives for signed KMS XML: enveloped, inclusive C14N, SHA-256, ecdsa-sha256, the signer's
 * X.509 certificate in KeyInfo.
 */
public final class VaultXmlSigner {

    private final KeyVault vault;
    private final String keyUri;
    private final X509Certificate certificate;

    public VaultXmlSigner(KeyVault vault, String keyUri, X509Certificate certificate) {
        if (!(certificate.getPublicKey() instanceof ECPublicKey)) {
            throw new IllegalArgumentException("the signing certificate's key is not EC");
        }
        this.vault = vault;
        this.keyUri = keyUri;
        this.certificate = certificate;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Appends an enveloped signature over the whole document to its document element. */
    public void signEnveloped(Document doc) throws VaultException {
        try {
            XMLSignatureFactory f = XMLSignatureFactory.getInstance("DOM");
            Reference ref = f.newReference("", f.newDigestMethod(DigestMethod.SHA256, null),
                    List.of(f.newTransform(Transform.ENVELOPED, (TransformParameterSpec) null)), null, null);
            SignedInfo si = f.newSignedInfo(f.newCanonicalizationMethod(CanonicalizationMethod.INCLUSIVE,
                    (C14NMethodParameterSpec) null), f.newSignatureMethod("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
                    null), List.of(ref));
            KeyInfoFactory kif = f.getKeyInfoFactory();
            DOMSignContext ctx = new DOMSignContext(new VaultKey(vault, keyUri,
                    ((ECPublicKey) certificate.getPublicKey()).getParams()), doc.getDocumentElement());
            ctx.setProperty("org.jcp.xml.dsig.internal.dom.SignatureProvider", PROVIDER);
            f.newXMLSignature(si, kif.newKeyInfo(List.of(kif.newX509Data(List.of(certificate))))).sign(ctx);
        } catch (javax.xml.crypto.dsig.XMLSignatureException e) {
            Throwable c = e.getCause();
            while (c != null && !(c instanceof VaultException)) {
                c = c.getCause();
            }
            if (c instanceof VaultException v) {
                throw v;
            }
            throw new IllegalStateException("signing KMS XML: " + e.getMessage(), e);
        } catch (java.security.GeneralSecurityException | javax.xml.crypto.MarshalException e) {
            throw new IllegalStateException("signing KMS XML: " + e.getMessage(), e);
        }
    }

    /** A handle on a vault key: no key material, only where the vault keeps it. */
    static final class VaultKey implements ECPrivateKey {
        private static final long serialVersionUID = 1L;
        private final transient KeyVault vault;
        private final String uri;
        private final transient ECParameterSpec params;

        VaultKey(KeyVault vault, String uri, ECParameterSpec params) {
            this.vault = vault;
            this.uri = uri;
            this.params = params;
        }

        @Override
        public java.math.BigInteger getS() {
            throw new UnsupportedOperationException("the key is in the vault");
        }

        @Override
        public ECParameterSpec getParams() {
            return params;
        }

        @Override
        public String getAlgorithm() {
            return "EC";
        }

        @Override
        public String getFormat() {
            return null;
        }

        @Override
        public byte[] getEncoded() {
            return null;
        }

        @Override
        public String toString() {
            return "vault key " + uri;
        }
    }

    /** ECDSA P-256 / SHA-256 signing in the vault (DER out, which the JDK converts to XML DSig's r||s). */
    static final class VaultSignature extends SignatureSpi {
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private VaultKey key;

        @Override
        protected void engineInitSign(PrivateKey k) throws InvalidKeyException {
            if (!(k instanceof VaultKey v)) {
                throw new InvalidKeyException("only vault keys are signed with here");
            }
            key = v;
            data.reset();
        }

        @Override
        protected void engineInitVerify(PublicKey k) throws InvalidKeyException {
            throw new InvalidKeyException("this provider only signs");
        }

        @Override
        protected void engineUpdate(byte b) {
            data.write(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
            data.write(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            try {
                return key.vault.sign(Actor.INTERNAL, key.uri, data.toByteArray());
            } catch (VaultException e) {
                throw new SignatureException(e);
            } finally {
                data.reset();
            }
        }

        @Override
        protected boolean engineVerify(byte[] sig) throws SignatureException {
            throw new SignatureException("this provider only signs");
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String p, Object v) {
            throw new InvalidParameterException("no parameters");
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String p) {
            return null;
        }
    }

    private static final Provider PROVIDER = new Provider("ISGVault", "1.0", "ECDSA with keys in the ISG vault") {
        private static final long serialVersionUID = 1L;

        {
            putService(new Service(this, "Signature", "SHA256withECDSA", VaultSignature.class.getName(), null,
                    Map.of("SupportedKeyClasses", VaultKey.class.getName())) {
                @Override
                public Object newInstance(Object parameter) {
                    return new VaultSignature();
                }
            });
        }
    };
}
