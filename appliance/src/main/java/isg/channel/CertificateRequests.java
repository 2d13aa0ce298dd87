package isg.channel;

import isg.hsm.Actor;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;

/**
 * PKCS#10 certificate requests (RFC 2986) for the gateway's TLS identity, signed by the vault
 * (the private key never leaves it). The request asks for what the channel needs (TS 33.310
 * Annex E profile): the identity in subjectAltName (URI and/or DNS), digitalSignature, and both
 * serverAuth and clientAuth, since each gateway is server and client of the channel.
 */
public final class CertificateRequests {

    private CertificateRequests() {
    }

    /** The request in PEM; {@code sans} are "uri:..." or "dns:..." entries, at least one. */
    public static String pkcs10Pem(KeyVault vault, String keyUri, String subject, List<String> sans)
            throws VaultException, IOException {
        var key = vault.info(Actor.CLI, keyUri);
        if (key.purpose() != KeyPurpose.TLS_IDENTITY) {
            throw new IllegalArgumentException(keyUri + " is a " + key.purpose() + " key, not a TLS_IDENTITY key");
        }
        if (sans.isEmpty()) {
            throw new IllegalArgumentException("name the gateway's identity: --san-uri and/or --san-dns");
        }
        X500Name name;
        try {
            name = new X500Name(subject);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("subject '" + subject + "' is not an X.500 name (e.g. CN=isg-home,O=Police)");
        }
        List<GeneralName> names = new ArrayList<>();
        for (String s : sans) {
            PartnerTrust.Identity id = PartnerTrust.Identity.parse(s);
            names.add(new GeneralName(id.kind().equals("uri") ? GeneralName.uniformResourceIdentifier
                    : GeneralName.dNSName, id.value()));
        }
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(vault.exportPublic(Actor.CLI, keyUri));
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
        ext.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        ext.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        PKCS10CertificationRequestBuilder b = new PKCS10CertificationRequestBuilder(name, spki)
                .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
        VaultContentSigner signer = new VaultContentSigner(vault, keyUri);
        PKCS10CertificationRequest csr = b.build(signer);
        if (signer.failure != null) {
            throw signer.failure;
        }
        return "-----BEGIN CERTIFICATE REQUEST-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(csr.getEncoded())
                + "\n-----END CERTIFICATE REQUEST-----\n";
    }

    /** ECDSA-SHA256 by the vault, in BC's content-signer form. */
    private static final class VaultContentSigner implements ContentSigner {
        private final KeyVault vault;
        private final String keyUri;
        private final ByteArrayOutputStream content = new ByteArrayOutputStream();
        VaultException failure;

        VaultContentSigner(KeyVault vault, String keyUri) {
            this.vault = vault;
            this.keyUri = keyUri;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        }

        @Override
        public OutputStream getOutputStream() {
            return content;
        }

        @Override
        public byte[] getSignature() {
            try {
                return vault.sign(Actor.CLI, keyUri, content.toByteArray());
            } catch (VaultException e) {
                failure = e;
                return new byte[0];
            }
        }
    }
}
