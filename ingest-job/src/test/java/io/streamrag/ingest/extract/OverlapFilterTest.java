package io.streamrag.ingest.extract;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** {@link TableDetector.OverlapFilter} gives the answers of a plain scan over every earlier glyph, in any glyph order. */
class OverlapFilterTest {

    /** One glyph as shown. */
    private record Glyph(String text, float x, float y, float width) {}

    /** PDFBox's rule, spelled out: an earlier kept glyph of the same text within [v - tol, v + tol) on both axes. */
    private static final class Reference {
        final List<Glyph> kept = new ArrayList<>();

        boolean seen(Glyph g) {
            float tolerance = g.width() / g.text().length() / 3.0f;
            for (Glyph k : kept) {
                if (k.text().equals(g.text()) && within(k.x(), g.x() - tolerance, g.x() + tolerance)
                        && within(k.y(), g.y() - tolerance, g.y() + tolerance)) {
                    return true;
                }
            }
            kept.add(g);
            return false;
        }

        private static boolean within(float v, float from, float to) {
            return Float.compare(v, from) >= 0 && Float.compare(v, to) < 0;
        }
    }

    @Test
    void sameAnswersAsAPlainScanForLinesInOrderShuffledAndWithDuplicates() {
        Random random = new Random(5);
        long dropped = 0;
        for (int page = 0; page < 60; page++) {
            List<Glyph> glyphs = new ArrayList<>();
            for (int line = 0; line < 30; line++) {
                float y = 40 + 12 * line + (page % 3 == 0 ? random.nextFloat() : 0);
                float x = 30;
                for (int c = 0; c < 60; c++) {
                    String text = String.valueOf("eeetaoins .,1".charAt(random.nextInt(13)));
                    float width = 3 + random.nextFloat() * 3;
                    glyphs.add(new Glyph(text, x, y, width));
                    if (random.nextInt(8) == 0) { // fake bold, or a near miss of it
                        glyphs.add(new Glyph(text, x + (random.nextFloat() - 0.5f) * 2.5f, y + (random.nextFloat() - 0.5f) * 2.5f, width));
                    }
                    x += width + (random.nextInt(5) == 0 ? 0.1f : 0.6f);
                }
            }
            if (page % 4 == 1) {
                Collections.shuffle(glyphs, random);   // any content-stream order
            } else if (page % 4 == 2) {
                Collections.reverse(glyphs);           // bottom-up, right to left
            }
            dropped += sameAnswersAsTheReference(glyphs, page);
        }
        assertThat(dropped).isGreaterThan(1000); // the pages did hold duplicates to drop
    }

    @Test
    void sameGlyphAtTheSamePlaceIsDroppedAndClearForgetsThePage() {
        TableDetector.OverlapFilter filter = new TableDetector.OverlapFilter();
        assertThat(filter.seen("a", 100, 200, 6)).isFalse();
        assertThat(filter.seen("a", 101.9f, 198.1f, 6)).isTrue();   // tolerance 2 on both axes
        assertThat(filter.seen("a", 98, 200, 6)).isFalse();         // [x - 2, x + 2) = [96, 100) leaves 100 out
        assertThat(filter.seen("b", 100, 200, 6)).isFalse();        // another text
        filter.clear();
        assertThat(filter.seen("a", 100, 200, 6)).isFalse();
    }

    @Test
    void aNegativeWidthFailsLikePdfBoxsSubMap() {
        TableDetector.OverlapFilter filter = new TableDetector.OverlapFilter();
        assertThatThrownBy(() -> filter.seen("a", 10, 10, -3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sameLineFloodIsLinear() {
        // One Tj of 400,000 letters "a" on one line took 200 s per page when each glyph scanned its whole line.
        TableDetector.OverlapFilter filter = new TableDetector.OverlapFilter();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (int i = 0; i < 400_000; i++) {
                assertThat(filter.seen("a", i * 0.6f, 100f, 0.55f)).isFalse();
            }
            assertThat(filter.seen("a", 0.1f, 100.1f, 0.55f)).isTrue();
        });
    }

    @Test
    void sameAnswersAsAPlainScanForMixedSizesJitteredBaselinesAndOddValues() {
        Random random = new Random(7);
        float[] odd = {0, -0.0f, Float.MIN_VALUE, 1e-9f, 1e9f, 3e38f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        long dropped = 0;
        for (int page = 0; page < 20; page++) {
            List<Glyph> glyphs = new ArrayList<>();
            for (int g = 0; g < 4000; g++) {
                String text = String.valueOf("aab".charAt(random.nextInt(3)));
                // Sizes over six binary orders of magnitude on the same letter, baselines jittered within a tolerance.
                float width = (float) (0.05 * Math.pow(2, random.nextInt(7)) * (1 + random.nextFloat()));
                float x = random.nextInt(200) * width * 0.5f + (random.nextBoolean() ? random.nextFloat() : 0);
                float y = 100 + random.nextInt(20) + random.nextFloat() * width / 4;
                if (random.nextInt(50) == 0) {
                    x = odd[random.nextInt(odd.length)];
                } else if (random.nextInt(50) == 0) {
                    y = odd[random.nextInt(odd.length)];
                } else if (random.nextInt(50) == 0) {
                    float w = odd[random.nextInt(odd.length)];
                    width = Float.isNaN(w) || w >= 0 ? w : width;
                }
                glyphs.add(new Glyph(random.nextInt(20) == 0 ? text + text : text, x, y, width));
            }
            if (page % 2 == 1) {
                Collections.shuffle(glyphs, random);
            }
            dropped += sameAnswersAsTheReference(glyphs, page);
        }
        assertThat(dropped).isGreaterThan(1000);
    }

    /** Asks the filter and the plain reference about each glyph of one page in order; how many both dropped. */
    private static int sameAnswersAsTheReference(List<Glyph> glyphs, int page) {
        TableDetector.OverlapFilter filter = new TableDetector.OverlapFilter();
        Reference reference = new Reference();
        int dropped = 0;
        for (Glyph g : glyphs) {
            boolean expected = reference.seen(g);
            assertThat(filter.seen(g.text(), g.x(), g.y(), g.width())).as("page %d, %s", page, g).isEqualTo(expected);
            dropped += expected ? 1 : 0;
        }
        return dropped;
    }
}
