package isg.relay;

import isg.hsm.Actor;
import isg.hsm.DerivedSrtpKeys;
import isg.hsm.KeyInfo;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.VaultEvent;
import isg.hsm.VaultException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A real vault whose next SRTP derivation hangs, the way a PKCS#11 module does when its token
 * stops answering, until the test lets it go (or for at most {@code maxStall}).
 */
public final class StallingVault implements KeyVault {

    private final KeyVault real;
    private final long maxStallMillis;
    private final AtomicBoolean armed = new AtomicBoolean();
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    public StallingVault(KeyVault real, long maxStallMillis) {
        this.real = real;
        this.maxStallMillis = maxStallMillis;
    }

    /** The next {@link #deriveSrtp} stalls. */
    public void stallNext() {
        armed.set(true);
    }

    /** Waits until a derivation is stalled. */
    public boolean awaitStalled(long millis) throws InterruptedException {
        return entered.await(millis, TimeUnit.MILLISECONDS);
    }

    public void release() {
        released.countDown();
    }

    @Override
    public DerivedSrtpKeys deriveSrtp(Actor actor, String masterUri, byte[] masterSalt, int keyLength, int authLength,
            int saltLength) throws VaultException {
        if (armed.compareAndSet(true, false)) {
            entered.countDown();
            try {
                released.await(maxStallMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return real.deriveSrtp(actor, masterUri, masterSalt, keyLength, authLength, saltLength);
    }

    @Override
    public String kind() {
        return real.kind();
    }

    @Override
    public boolean healthy() {
        return real.healthy();
    }

    @Override
    public void onEvent(Consumer<VaultEvent> listener) {
        real.onEvent(listener);
    }

    @Override
    public List<KeyInfo> list(Actor actor) throws VaultException {
        return real.list(actor);
    }

    @Override
    public KeyInfo info(Actor actor, String uri) throws VaultException {
        return real.info(actor, uri);
    }

    @Override
    public KeyInfo generate(Actor actor, NewKey spec) throws VaultException {
        return real.generate(actor, spec);
    }

    @Override
    public KeyInfo importTransportKey(Actor actor, NewKey spec, byte[] clear) throws VaultException {
        return real.importTransportKey(actor, spec, clear);
    }

    @Override
    public KeyInfo importWrapped(Actor actor, NewKey spec, String transportUri, byte[] wrapped) throws VaultException {
        return real.importWrapped(actor, spec, transportUri, wrapped);
    }

    @Override
    public KeyInfo importMcKey(Actor actor, NewKey spec, byte[] clear) throws VaultException {
        return real.importMcKey(actor, spec, clear);
    }

    @Override
    public KeyInfo importCertificate(Actor actor, NewKey spec, byte[] der) throws VaultException {
        return real.importCertificate(actor, spec, der);
    }

    @Override
    public byte[] exportPublic(Actor actor, String uri) throws VaultException {
        return real.exportPublic(actor, uri);
    }

    @Override
    public byte[] sign(Actor actor, String uri, byte[] data) throws VaultException {
        return real.sign(actor, uri, data);
    }

    @Override
    public byte[] hmacSha256(Actor actor, String uri, byte[] data) throws VaultException {
        return real.hmacSha256(actor, uri, data);
    }

    @Override
    public byte[] readSecret(Actor actor, String uri) throws VaultException {
        return real.readSecret(actor, uri);
    }

    @Override
    public void destroy(Actor actor, String uri) throws VaultException {
        real.destroy(actor, uri);
    }

    @Override
    public int zeroise(Actor actor) throws VaultException {
        return real.zeroise(actor);
    }

    @Override
    public void close() {
        release();
        real.close();
    }
}
