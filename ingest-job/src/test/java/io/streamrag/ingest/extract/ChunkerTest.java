package io.streamrag.ingest.extract;

import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.common.testing.TaskStack;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.records.PageTable;
import io.streamrag.ingest.records.PageText;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Token bounds, overlap, page fields, sections and determinism of the chunker. */
class ChunkerTest {

    private static DocumentTask task() {
        DocumentTask t = new DocumentTask();
        t.documentId = "doc-1";
        t.tenant = "acme";
        t.version = 7;
        t.op = Op.UPSERT.name();
        t.uri = "file:///tmp/doc-1.pdf";
        t.eventTime = 1234L;
        return t;
    }

    private static String words(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + i).collect(Collectors.joining(" "));
    }

    @Test
    void boundsChunksAndOverlapsThem() {
        Chunker chunker = new Chunker(130, 26); // 100 words, 20 words overlap
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.TEXT);
        doc.pages.add(new PageText(1, words("w", 250)));
        List<Chunk> chunks = chunker.chunk(task(), doc);
        assertThat(chunks).hasSizeGreaterThanOrEqualTo(3);
        for (Chunk c : chunks) {
            assertThat(c.text.split("\\s+").length).isLessThanOrEqualTo(chunker.maxWords());
            assertThat(Chunker.approxTokens(c.text)).isLessThanOrEqualTo(130);
        }
        List<String> first = Arrays.asList(chunks.get(0).text.split("\\s+"));
        List<String> second = Arrays.asList(chunks.get(1).text.split("\\s+"));
        assertThat(second.subList(0, chunker.overlapWords())).isEqualTo(first.subList(first.size() - chunker.overlapWords(), first.size()));
        assertThat(chunker.overlapWords()).isEqualTo(20);
        // Every word is somewhere.
        String all = chunks.stream().map(c -> c.text).collect(Collectors.joining(" "));
        assertThat(all).contains("w0 ").contains("w249");
    }

    @Test
    void recordsStartAndEndPagesAndIds() {
        Chunker chunker = new Chunker(130, 0, 1000); // pages never close a chunk here
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.PDF);
        doc.pages.add(new PageText(1, words("a", 60)));
        doc.pages.add(new PageText(2, words("b", 30)));
        doc.pages.add(new PageText(3, words("c", 50))); // fits whole into the next chunk only
        List<Chunk> chunks = chunker.chunk(task(), doc);
        assertThat(chunks.get(0).page).isEqualTo(1);
        assertThat(chunks.get(0).pageEnd).isEqualTo(2);
        assertThat(chunks.get(0).text).contains("a0").contains("b29").doesNotContain("c0");
        assertThat(chunks.get(chunks.size() - 1).page).isEqualTo(3);
        assertThat(chunks.get(chunks.size() - 1).pageEnd).isEqualTo(3);
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            assertThat(c.chunkIndex).isEqualTo(i);
            assertThat(c.chunkId).isEqualTo("acme:doc-1:7:" + i);
            assertThat(c.kind).isEqualTo("text");
            assertThat(c.tenant).isEqualTo("acme");
            assertThat(c.version).isEqualTo(7);
            assertThat(c.eventTime).isEqualTo(1234L);
            assertThat(c.contentType).isEqualTo(ContentTypes.PDF);
        }
    }

    @Test
    void fullPagesCloseChunksAndShortPagesRunOn() {
        Chunker chunker = new Chunker(256, 32, 64); // a page boundary closes a chunk of >= 49 words
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.PDF);
        doc.pages.add(new PageText(1, words("a", 60)));
        doc.pages.add(new PageText(2, words("b", 10)));
        doc.pages.add(new PageText(3, words("c", 40)));
        doc.pages.add(new PageText(4, words("d", 60)));
        List<Chunk> chunks = chunker.chunk(task(), doc);
        assertThat(chunks).extracting(c -> c.page + "-" + c.pageEnd).containsExactly("1-1", "2-3", "4-4");
        assertThat(chunks.get(1).text).startsWith("b0").contains("c39").doesNotContain("a59");
    }

    @Test
    void recordsWhereEachLaterPageBeginsInTheText() {
        Chunker chunker = new Chunker(256, 32, 64); // a page boundary closes a chunk of >= 49 words
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.PDF);
        doc.pages.add(new PageText(1, words("a", 60)));
        doc.pages.add(new PageText(2, words("b", 10)));
        doc.pages.add(new PageText(3, "\n\n")); // no words: starts where page 4 does
        doc.pages.add(new PageText(4, words("c", 40)));
        List<Chunk> chunks = chunker.chunk(task(), doc);
        assertThat(chunks).extracting(c -> c.page + "-" + c.pageEnd).containsExactly("1-1", "2-4");
        assertThat(chunks.get(0).pageBreaks).isEmpty();
        Chunk runOn = chunks.get(1);
        int c0 = runOn.text.indexOf("c0");
        assertThat(runOn.pageBreaks).containsExactly(c0, c0);
        assertThat(runOn.text.substring(0, c0)).contains("b9").doesNotContain("c");
    }

    @Test
    void headingsStartChunksAndBecomeSections() {
        Chunker chunker = new Chunker(256, 32);
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.MARKDOWN);
        doc.pages.add(new PageText(1, "# Install\n\nRun the installer.\n\n## Ports\nThe admin UI listens on 8443.\n\nMore about ports."));
        List<Chunk> chunks = chunker.chunk(task(), doc);
        assertThat(chunks).hasSize(2);
        assertThat(chunks.get(0).section).isEqualTo("Install");
        assertThat(chunks.get(0).text).contains("Run the installer.").doesNotContain("8443");
        assertThat(chunks.get(1).section).isEqualTo("Ports");
        assertThat(chunks.get(1).text).startsWith("## Ports").contains("8443").contains("More about ports.");
        // No title in the event: the first heading is the title.
        assertThat(chunks.get(1).title).isEqualTo("Install");
    }

    @Test
    void imageTextBecomesImageChunksOnItsPage() {
        Chunker chunker = new Chunker(256, 32);
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.PDF);
        doc.pages.add(new PageText(1, "Some text."));
        PageImage image = new PageImage(4, null, PageImage.EMBEDDED, 100, 100);
        image.text = "ZEPHYR 4711";
        doc.images.add(image);
        doc.images.add(new PageImage(5, null, PageImage.EMBEDDED, 100, 100)); // unread: no chunk
        List<Chunk> chunks = chunker.chunk(task(), doc);
        assertThat(chunks).hasSize(2);
        assertThat(chunks.get(1).kind).isEqualTo("image");
        assertThat(chunks.get(1).page).isEqualTo(4);
        assertThat(chunks.get(1).text).isEqualTo("ZEPHYR 4711");
    }

    @Test
    void imageChunksLeadWithTheirPageCaptions() {
        Chunker chunker = new Chunker(256, 32);
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.PDF);
        doc.pages.add(new PageText(1, "As figure 1.2. shows, the window opens.\nFigure 1.2: The main window of the\n"
                + "oscilloscope program\nThe next paragraph starts here."));
        doc.pages.add(new PageText(2, "Fig. 3a. Other page"));
        doc.pages.add(new PageText(3, "No caption here."));
        PageImage shot = new PageImage(1, null, PageImage.EMBEDDED, 100, 100);
        shot.text = "A1: 3.00 V, 1000.5 Hz";
        PageImage plain = new PageImage(3, null, PageImage.EMBEDDED, 100, 100);
        plain.text = "ZEPHYR 4711";
        doc.images.add(shot);
        doc.images.add(plain);
        List<Chunk> images = chunker.chunk(task(), doc).stream().filter(c -> "image".equals(c.kind)).toList();
        assertThat(images).hasSize(2);
        // The wrapped caption's lower-case line is kept, the next paragraph and the running-text mention are not.
        assertThat(images.get(0).text)
                .isEqualTo("Figure 1.2: The main window of the oscilloscope program\nA1: 3.00 V, 1000.5 Hz");
        assertThat(images.get(1).text).isEqualTo("ZEPHYR 4711"); // another page's caption is not its own
        assertThat(Chunker.captions("Figure 9: " + words("w", 50)).split(" ")).hasSize(Chunker.CAPTION_MAX_WORDS);
    }

    @Test
    void aFigureNumberOfThousandsOfPartsIsChunkedOnATaskThreadSizedStack() throws Exception {
        // "Figure 1-1-1-...": the former caption pattern recursed once per "-1" and overflowed a 1 MB stack (Flink's
        // task threads) at ~3,000 of them, failing the task and, after restarts, every tenant's documents.
        String text = "Intro text.\n\nFigure 1" + "-1".repeat(3000) + ": x";
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.TEXT);
        doc.pages.add(new PageText(1, text));
        PageImage image = new PageImage(1, null, PageImage.EMBEDDED, 100, 100);
        image.text = "ZEPHYR 4711";
        doc.images.add(image); // so the page's captions are looked for
        Object result = TaskStack.run(() -> new Chunker(130, 26).chunk(task(), doc));
        // The pattern itself, on the whole line (captions() only scans a line's first characters).
        Object whole = TaskStack.run(() -> Chunker.CAPTION.matcher(text.substring(text.indexOf("Figure"))).lookingAt());
        assertThat(result).isInstanceOf(List.class);
        assertThat(whole).isEqualTo(true);
        @SuppressWarnings("unchecked")
        List<Chunk> chunks = (List<Chunk>) result;
        assertThat(chunks).filteredOn(c -> "text".equals(c.kind)).isNotEmpty();
        // A figure "number" of 6,000 characters is no caption: the image chunk is the image's text alone.
        assertThat(chunks).filteredOn(c -> "image".equals(c.kind)).extracting(c -> c.text).containsExactly("ZEPHYR 4711");
    }

    @Test
    void theCaptionPatternMatchesWhatTheRecursiveOneDid() {
        // The pattern before it was rewritten without a repeated group: same decisions on every short line.
        java.util.regex.Pattern old = java.util.regex.Pattern.compile("(?:Figure|Fig\\.)\\s*\\d+(?:[.-]\\d+)*[a-z]?\\s*[:.]\\s+\\S");
        String[] fixed = {"Figure 2.4: The window", "Fig. 3. Other", "Figure 5.1a: x", "Figure 1-2: x", "Figure 1.2. x",
                "Figure 1.2. : x", "Figure 1..2: x", "Figure 1-: x", "Figure 1.-: x", "Figure 1.2.: x", "Figure .1: x",
                "figure 1.2 shows", "Figure 12 : x", "Figure 3ab: x", "Fig.3: x", "Figure 1: ", "Figure -1: x"};
        java.util.Random random = new java.util.Random(42);
        String alphabet = "12.-: ab\tX";
        List<String> lines = new java.util.ArrayList<>(Arrays.asList(fixed));
        for (int i = 0; i < 200_000; i++) {
            StringBuilder sb = new StringBuilder(random.nextBoolean() ? "Figure" : "Fig.");
            for (int n = random.nextInt(10); n > 0; n--) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            lines.add(sb.toString());
        }
        for (String line : lines) {
            boolean expected = old.matcher(line.strip()).lookingAt();
            assertThat(Chunker.captions(line).isEmpty()).as(line).isEqualTo(!expected);
        }
    }

    @Test
    void wordsAreWhatStripAndSplitOnAsciiWhiteSpaceMadeThem() {
        // The words are read by index now, not from text.strip().split("\\s+"): the ends are stripped of any white
        // space (U+001C, U+2003 too), words are split on ASCII white space only (U+2003 and U+00A0 stay inside a
        // word, U+000B splits), and a word of control characters only is left out. Chunk texts, and ids, depend on it.
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.TEXT);
        doc.pages.add(new PageText(1, "\u001C \u2003a\u2003b c\u000Bd \u0001\u0002 \u00A0e \u2003"));
        assertThat(new Chunker(130, 26).chunk(task(), doc)).extracting(c -> c.text).containsExactly("a\u2003b c d \u00A0e");
        assertThat(Chunker.approxTokens("\u001C \u2003a\u2003b c\u000Bd \u0001\u0002 \u00A0e \u2003")).isEqualTo(6); // 4 words
    }

    @Test
    void isDeterministic() {
        Chunker chunker = new Chunker(64, 16);
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.TEXT);
        doc.pages.add(new PageText(1, words("x", 120) + "\n\n" + words("y", 40)));
        List<Chunk> a = chunker.chunk(task(), doc);
        List<Chunk> b = chunker.chunk(task(), doc);
        assertThat(a).extracting(c -> c.chunkId + "|" + c.text + "|" + c.page)
                .containsExactlyElementsOf(b.stream().map(c -> c.chunkId + "|" + c.text + "|" + c.page).collect(Collectors.toList()));
    }

    @Test
    void headingsLoseTheirClosingHashesOnly() {
        assertThat(Chunker.headingText("Installation")).isEqualTo("Installation");
        assertThat(Chunker.headingText("Installation ##")).isEqualTo("Installation");
        assertThat(Chunker.headingText("C# in ten minutes")).isEqualTo("C# in ten minutes");
        assertThat(Chunker.headingText("#")).isEqualTo("#");
    }

    @Test
    void aHeaderCellLosesItsTrailingColonsAndARunOfThemInsideIsNoBacktracking() {
        assertThat(Chunker.tableRow(List.of("Architecture :", "Size::", "a:b"), List.of("any", "12", "x")))
                .isEqualTo("Architecture: any | Size: 12 | a:b: x;");
        // 20,000 colons between two letters: \s*:+$ took seconds per row on it (222 s for a 160-row table).
        List<String> header = List.of("A" + ":".repeat(20_000) + "B");
        String row = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
            String last = null;
            for (int i = 0; i < 160; i++) {
                last = Chunker.tableRow(header, List.of("v"));
            }
            return last;
        }); // a bound on termination, not a speed target
        assertThat(row).isEqualTo(header.get(0).substring(0, Chunker.MAX_HEADER_CELL_CHARS) + ": v;");
    }

    /** Before, "#", spaces and U+2028 (or U+0085, U+2029) tried every split of the spaces: 80,000 took 16 s. */
    @Test
    void spacesAfterAHashBeforeALineSeparatorAreNoBacktracking() {
        for (String separator : List.of("\u2028", "\u2029", "\u0085")) {
            ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.MARKDOWN);
            doc.pages.add(new PageText(1, "#" + " ".repeat(400_000) + separator + "x\n\nAfter it, a paragraph."));
            List<Chunk> chunks = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                    () -> new Chunker(130, 26).chunk(task(), doc)); // a bound on termination, not a speed target
            assertThat(chunks).isNotEmpty();
        }
    }

    /** A table's header is cut and made once: a 10,000-character header over 10,000 rows made 127 MB of chunks. */
    @Test
    void aLongTableHeaderIsCutOnceNotRepeatedInFull() {
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.PDF);
        doc.pages.add(new PageText(1, "A table follows."));
        PageTable table = new PageTable(1, false);
        table.header.addAll(List.of("h".repeat(10_000), "v"));
        IntStream.range(0, 10_000).forEach(i -> table.rows.add(new java.util.ArrayList<>(List.of("x" + i, "y"))));
        doc.tables.add(table);
        List<Chunk> chunks = new Chunker(256, 32).chunk(task(), doc);
        long chars = chunks.stream().mapToLong(c -> c.text.length()).sum();
        assertThat(chars).isLessThan(4_000_000L); // ~10,000 rows of ~100 characters, each cell named by its cut header
        assertThat(chunks.stream().filter(c -> "table".equals(c.kind))).allSatisfy(c ->
                assertThat(c.text).contains("h".repeat(Chunker.MAX_HEADER_CELL_CHARS) + ": x").doesNotContain("h".repeat(Chunker.MAX_HEADER_CELL_CHARS + 1)));
    }

    @Test
    void aDocumentOfMoreChunksThanAllowedStopsAtTheLimit() {
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.MARKDOWN);
        doc.pages.add(new PageText(1, "# a\n".repeat(1000)));
        assertThat(new Chunker(256, 32, 24, 1000).chunk(task(), doc)).hasSize(1000);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Chunker(256, 32, 24, 999).chunk(task(), doc))
                .isInstanceOf(Chunker.TooManyChunks.class).hasMessageContaining("more than 999 chunks");
    }

    @Test
    void aLineOfSpacesAfterAHashIsChunkedWithoutBacktracking() {
        // "# a", 30,000 spaces, "b": the former heading pattern backtracked cubically on it (hours on the task thread).
        String line = "# a" + " ".repeat(30_000) + "b";
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.MARKDOWN);
        doc.pages.add(new PageText(1, line + "\n\nAfter it, a paragraph."));
        List<Chunk> chunks = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> new Chunker(130, 26).chunk(task(), doc)); // a bound on termination, not a speed target
        assertThat(chunks).isNotEmpty();
        // Cut like a title: every chunk of the section carries it (before, all 30,003 characters went into each).
        assertThat(chunks.get(0).section).startsWith("a").hasSize(Chunker.MAX_TITLE_CHARS);
        assertThat(chunks.get(0).title).isEqualTo(chunks.get(0).section);
    }

    @Test
    void textWithoutSpacesIsCutIntoBoundedChunksAndCharactersStayWhole() {
        Chunker chunker = new Chunker(130, 26);
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.TEXT);
        // 1 MB without a space: emoji (after one letter, so pairs straddle the cuts), then ASCII.
        String blob = "a" + "\uD83D\uDE00".repeat(300_000) + "x".repeat(400_000);
        doc.pages.add(new PageText(1, blob));
        doc.title = "T".repeat(5000);
        List<Chunk> chunks = chunker.chunk(task(), doc);
        int bound = chunker.maxWords() * (Chunker.MAX_WORD_CHARS + 1);
        assertThat(chunks).hasSizeGreaterThan(10).allSatisfy(c -> {
            assertThat(c.text.length()).isLessThanOrEqualTo(bound);
            assertThat(Character.isLowSurrogate(c.text.charAt(0))).isFalse();
            assertThat(Character.isHighSurrogate(c.text.charAt(c.text.length() - 1))).isFalse();
            assertThat(c.title).hasSize(Chunker.MAX_TITLE_CHARS);
        });
        // Nothing is lost: the pieces of the last chunk end the blob.
        assertThat(chunks.get(chunks.size() - 1).text.replace(" ", "")).endsWith("x".repeat(1000));
    }

    @Test
    void textInAScriptWithoutSpacesIsChunkedByItsTokensAndJoinedBackWithoutSpaces() {
        Chunker chunker = new Chunker(130, 26);
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.TEXT);
        // 20,000 characters of Chinese (with a supplementary-plane character) in sentences without spaces.
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 20_000; i++) {
            text.append("流处理作业把文档切成块并写入索引\uD840\uDC0B第").append(i).append("句。");
        }
        doc.pages.add(new PageText(1, text.toString()));
        List<Chunk> chunks = chunker.chunk(task(), doc);
        // About one token a character: a chunk holds about 130 of them, not the 50,000 of 196 "words" of 256.
        assertThat(chunks).hasSizeGreaterThan(100).allSatisfy(c -> {
            assertThat(c.text).doesNotContain(" ");
            assertThat(c.text.codePointCount(0, c.text.length())).isBetween(40, 160);
            assertThat(Chunker.approxTokens(c.text)).isLessThanOrEqualTo(130 + 21);
            assertThat(text.toString()).contains(c.text);
            assertThat(Character.isLowSurrogate(c.text.charAt(0))).isFalse();
        });
        assertThat(text.toString()).startsWith(chunks.get(0).text).endsWith(chunks.get(chunks.size() - 1).text);
        // Consecutive chunks overlap, so nothing falls between them.
        for (int i = 1; i < chunks.size(); i++) {
            String previous = chunks.get(i - 1).text;
            String next = chunks.get(i).text;
            assertThat(text.indexOf(next)).isLessThan(text.indexOf(previous) + previous.length());
        }
    }

    @Test
    void aMixedRunWeighsItsDenseCharactersAndEnglishIsCountedAsBefore() {
        assertThat(Chunker.approxTokens("StreamRAG把文档")).isEqualTo((int) Math.ceil(3 * Chunker.TOKENS_PER_WORD));
        assertThat(Chunker.approxTokens("ten plain English words in a row, counted one each")).isEqualTo(13);
        assertThat(Chunker.approxTokens("สวัสดีครับ")).isEqualTo((int) Math.ceil(8 * Chunker.TOKENS_PER_WORD));
        assertThat(Chunker.approxTokens("  ")).isZero();
    }

    @Test
    void wordsOfControlCharactersOnlyAreLeftOut() {
        ExtractedDocument doc = new ExtractedDocument(task(), ContentTypes.TEXT);
        doc.pages.add(new PageText(1, "\u0007\u0008 \u0000"));
        doc.pages.add(new PageText(2, "Real words \u0007 here\u0001."));
        List<Chunk> chunks = new Chunker(130, 26).chunk(task(), doc);
        assertThat(chunks).extracting(c -> c.text).containsExactly("Real words here\u0001.");
        assertThat(chunks).allSatisfy(c -> assertThat(c.text.trim()).isNotEmpty()); // what langchain4j calls blank
    }
}
