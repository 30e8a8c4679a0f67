package io.streamrag.ingest.extract;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            TableDetector.OverlapFilter filter = new TableDetector.OverlapFilter();
            Reference reference = new Reference();
            for (Glyph g : glyphs) {
                boolean expected = reference.seen(g);
                assertThat(filter.seen(g.text(), g.x(), g.y(), g.width())).as("page %d, %s", page, g).isEqualTo(expected);
                dropped += expected ? 1 : 0;
            }
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
}
