package isg.channel;

import isg.hsm.Actor;
import isg.hsm.DerivedSrtpKeys;
import isg.hsm.KeyInfo;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.VaultEvent;
import isg.hsm.VaultException;
import java.util.List;
import java.util.function.Consumer;

/**
 * A real vault that the test can take down the way a token that stops answering goes down:
 * unhealthy, and every operation fails with UNAVAILABLE until it is brought back.
 */
final class SwitchableVault implements KeyVault {

    private final KeyVault real;
    private volatile boolean down;
    volatile int signatures;

    SwitchableVault(KeyVault real) {
        this.real = real;
    }

    void down(boolean d) {
        down = d;
    }

    private void check() throws VaultException {
        if (down) {
            throw new VaultException(VaultException.Reason.UNAVAILABLE, "the token does not answer");
        }
    }

    @Override
    public String kind() {
        return real.kind();
    }

    @Override
    public boolean healthy() {
        return !down && real.healthy();
    }

    @Override
    public void onEvent(Consumer<VaultEvent> listener) {
        real.onEvent(listener);
    }

    @Override
    public List<KeyInfo> list(Actor actor) throws VaultException {
        check();
        return real.list(actor);
    }

    @Override
    public KeyInfo info(Actor actor, String uri) throws VaultException {
        check();
        return real.info(actor, uri);
    }

    @Override
    public KeyInfo generate(Actor actor, NewKey spec) throws VaultException {
        check();
        return real.generate(actor, spec);
    }

    @Override
    public KeyInfo importTransportKey(Actor actor, NewKey spec, byte[] clear) throws VaultException {
        check();
        return real.importTransportKey(actor, spec, clear);
    }

    @Override
    public KeyInfo importWrapped(Actor actor, NewKey spec, String transportUri, byte[] wrapped) throws VaultException {
        check();
        return real.importWrapped(actor, spec, transportUri, wrapped);
    }

    @Override
    public KeyInfo importMcKey(Actor actor, NewKey spec, byte[] clear) throws VaultException {
        check();
        return real.importMcKey(actor, spec, clear);
    }

    @Override
    public KeyInfo importCertificate(Actor actor, NewKey spec, byte[] der) throws VaultException {
        check();
        return real.importCertificate(actor, spec, der);
    }

    @Override
    public byte[] exportPublic(Actor actor, String uri) throws VaultException {
        check();
        return real.exportPublic(actor, uri);
    }

    @Override
    public byte[] sign(Actor actor, String uri, byte[] data) throws VaultException {
        check();
        signatures++;
        return real.sign(actor, uri, data);
    }

    @Override
    public DerivedSrtpKeys deriveSrtp(Actor actor, String masterUri, byte[] masterSalt, int keyLength, int authLength,
            int saltLength) throws VaultException {
        check();
        return real.deriveSrtp(actor, masterUri, masterSalt, keyLength, authLength, saltLength);
    }

    @Override
    public byte[] hmacSha256(Actor actor, String uri, byte[] data) throws VaultException {
        check();
        return real.hmacSha256(actor, uri, data);
    }

    @Override
    public byte[] readSecret(Actor actor, String uri) throws VaultException {
        check();
        return real.readSecret(actor, uri);
    }

    @Override
    public void destroy(Actor actor, String uri) throws VaultException {
        check();
        real.destroy(actor, uri);
    }

    @Override
    public int zeroise(Actor actor) throws VaultException {
        return real.zeroise(actor);
    }

    @Override
    public void close() {
        real.close();
    }
}
