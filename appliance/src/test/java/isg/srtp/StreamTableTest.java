package isg.srtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The SSRC table starts small, grows as streams come, and finds every one of them up to its maximum. */
class StreamTableTest {

    @Test
    void aNewContextHoldsASmallTableThatGrowsToTheMaximumAndNoFurther() {
        for (int max : new int[] {1, 2, 3, 5, 64, 1000}) {
            StreamTable t = new StreamTable(max);
            assertTrue(t.capacity() <= StreamTable.INITIAL_CAPACITY, "max " + max + ": " + t.capacity());
            List<SrtpStream> added = new ArrayList<>();
            SplittableRandom r = new SplittableRandom(max);
            while (!t.full()) {
                // every other SSRC a neighbour of the last, so that probes run through occupied slots
                int ssrc = added.isEmpty() || added.size() % 2 == 0 ? r.nextInt() : added.get(added.size() - 1).ssrc + 1;
                if (t.get(ssrc) != null) {
                    continue;
                }
                SrtpStream s = new SrtpStream(ssrc, 64);
                t.put(s);
                added.add(s);
                assertTrue(t.size() * 2 <= t.capacity(), "at most half full: " + t.size() + " in " + t.capacity());
                for (SrtpStream a : added) {
                    assertSame(a, t.get(a.ssrc), "max " + max + ", ssrc " + a.ssrc + " after " + added.size());
                }
            }
            assertEquals(max, added.size());
            assertTrue(t.capacity() <= Integer.highestOneBit(Math.max(2, max) * 2 - 1) << 1, "grew past what the maximum needs");
            int unknown = r.nextInt();
            while (t.get(unknown) != null) {
                unknown = r.nextInt();
            }
            assertNull(t.get(unknown));
            int before = t.capacity();
            assertThrows(IllegalStateException.class, () -> t.put(new SrtpStream(0x5EED, 64)));
            assertEquals(before, t.capacity());
            t.clear();
            assertEquals(0, t.size());
            assertFalse(t.full());
            assertNull(t.get(added.get(0).ssrc));
        }
    }
}
