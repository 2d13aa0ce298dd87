package isg.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.SoftVault;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import org.bouncycastle.tls.TlsClientProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS bridge's handshake hand-over, step by step: the handshake executor is run by the test,
 * so bytes can be made to arrive exactly while a step runs.
 */
class TlsBridgeTest {

    @TempDir
    Path dir;

    @Test
    void recordsArrivingWhileTheLastHandshakeStepRunsAreDeliveredNotLost() throws Exception {
        ChannelPki pki = new ChannelPki(dir).ca("home-ca").ca("partner-ca");
        try (KeyVault hv = SoftVault.open(dir.resolve("h.bcfks"), "p".toCharArray(), true, AuditLog.inMemory());
                KeyVault pv = SoftVault.open(dir.resolve("p.bcfks"), "p".toCharArray(), true, AuditLog.inMemory())) {
            LocalIdentity home = pki.gateway(hv, "home-tls", "home-ca", "isg:home");
            LocalIdentity partner = pki.gateway(pv, "partner-tls", "partner-ca", "isg:partner");
            PartnerTrust trustsHome = new PartnerTrust("home", PartnerTrust.readCertificates(pki.path("home-ca.pem")),
                    List.of(), PartnerTrust.Identity.parse("uri:isg:home"), null, false);
            PartnerTrust trustsPartner = new PartnerTrust("partner",
                    PartnerTrust.readCertificates(pki.path("partner-ca.pem")), List.of(),
                    PartnerTrust.Identity.parse("uri:isg:partner"), null, false);
            ChannelTls server = new ChannelTls(partner, List.of(trustsHome), Clock.systemUTC());
            ChannelTls client = new ChannelTls(home, List.of(trustsPartner), Clock.systemUTC());

            ArrayDeque<Runnable> steps = new ArrayDeque<>();
            String[] established = new String[1];
            TlsBridge bridge = TlsBridge.server(server, steps::add, Duration.ofSeconds(30), new TlsBridge.Events() {
                @Override
                public void established(ChannelHandlerContext ctx, ChannelTls.Outcome o) {
                    established[0] = o.partner.partner();
                }

                @Override
                public void failed(ChannelHandlerContext ctx, ChannelTls.Outcome o, Refusal r, String d, boolean h) {
                    throw new AssertionError("refused: " + r + " " + d);
                }
            });
            EmbeddedChannel ch = new EmbeddedChannel(bridge);
            runSteps(steps, ch);

            TlsClientProtocol cp = new TlsClientProtocol();
            cp.connect(client.client(trustsPartner, new ChannelTls.Outcome()));
            while (cp.isHandshaking()) {
                ch.writeInbound(drain(cp));
                runSteps(steps, ch);
                for (ByteBuf b = ch.readOutbound(); b != null; b = ch.readOutbound()) {
                    byte[] a = new byte[b.readableBytes()];
                    b.readBytes(a);
                    b.release();
                    cp.offerInput(a);
                }
            }
            // the client is done: its last flight arrives, and the server's step for it runs...
            ch.writeInbound(drain(cp));
            Runnable last = steps.poll();
            assertNotNull(last, "a step for the client's last flight");
            last.run();
            // ...and while its result is on its way back to the event loop, the client's first record arrives
            cp.writeApplicationData("first words".getBytes(StandardCharsets.US_ASCII), 0, 11);
            ch.pipeline().fireChannelRead(drain(cp));
            assertEquals(null, established[0], "the step's result has not reached the event loop yet");
            ch.runPendingTasks();
            runSteps(steps, ch);
            assertEquals("home", established[0]);
            ByteBuf got = null;
            for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
                if (o instanceof ByteBuf b) {
                    got = got == null ? b : Unpooled.wrappedBuffer(got, b);
                }
            }
            assertNotNull(got, "the record that arrived during the step is delivered");
            assertEquals("first words", got.toString(StandardCharsets.US_ASCII));
            got.release();
            assertTrue(ch.isActive());
            ch.finishAndReleaseAll();
        }
    }

    private static void runSteps(ArrayDeque<Runnable> steps, EmbeddedChannel ch) {
        for (Runnable r = steps.poll(); r != null; r = steps.poll()) {
            r.run();
            ch.runPendingTasks();
        }
        ch.runPendingTasks();
    }

    private static ByteBuf drain(TlsClientProtocol cp) {
        byte[] out = new byte[cp.getAvailableOutputBytes()];
        cp.readOutput(out, 0, out.length);
        return Unpooled.wrappedBuffer(out);
    }
}
