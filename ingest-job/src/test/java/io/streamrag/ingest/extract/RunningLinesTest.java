package io.streamrag.ingest.extract;

import io.streamrag.ingest.records.PageText;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Running headers and footers lose their page numbers; content lines, short documents and text-less pages stay. */
class RunningLinesTest {

    @Test
    void takesTheNumbersOutOfLinesThatRecurAtTheTopOrBottomOfMostPages() {
        List<PageText> pages = new ArrayList<>();
        pages.add(new PageText(1, "A Title Page\n\nby someone"));
        for (int p = 2; p <= 5; p++) {
            pages.add(new PageText(p, "Maintainers' Guide " + p + " / 5\nSection " + p + " text.\n\nMore on " + p + ".\n" + p + "\n"));
        }
        pages.add(new PageText(6, ""));
        List<PageText> out = RunningLines.strip(pages);
        assertThat(out).extracting(p -> p.page).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(out.get(0).text).isEqualTo("A Title Page\n\nby someone"); // its lines occur once
        assertThat(out.get(2).text).isEqualTo("Maintainers' Guide\n\nSection 3 text.\n\nMore on 3.");
        assertThat(out.get(5).text).isEmpty();
    }

    @Test
    void keepsLinesThatDoNotRunAndDocumentsTooShortToTell() {
        List<PageText> two = List.of(new PageText(1, "Manual 1\nalpha\n1"), new PageText(2, "Manual 2\nbeta\n2"));
        assertThat(RunningLines.strip(two)).extracting(p -> p.text).containsExactly("Manual 1\nalpha\n1", "Manual 2\nbeta\n2");
        // Page numbers at the foot of two of six pages: not half of them.
        List<PageText> six = new ArrayList<>();
        for (int p = 1; p <= 6; p++) {
            six.add(new PageText(p, "Heading " + (char) ('A' + p) + "\nbody " + (char) ('a' + p) + (p <= 2 ? "\n" + p : "")));
        }
        assertThat(RunningLines.strip(six)).extracting(p -> p.text).containsExactlyElementsOf(six.stream().map(p -> p.text).toList());
    }

    @Test
    void aPageThatIsOnlyItsNumberBecomesEmpty() {
        List<PageText> pages = new ArrayList<>();
        for (int p = 1; p <= 4; p++) {
            pages.add(new PageText(p, p == 3 ? "3" : "Body of page " + (char) ('a' + p) + "\n" + p));
        }
        assertThat(RunningLines.strip(pages)).extracting(p -> p.text)
                .containsExactly("Body of page b", "Body of page c", "", "Body of page e");
    }

    @Test
    void aRunningFooterKeepsItsWordsAsAParagraphOfItsOwn() {
        List<PageText> pages = new ArrayList<>();
        for (int p = 1; p <= 3; p++) {
            pages.add(new PageText(p, "Slide " + (char) ('a' + p) + "\nUse debhelper-compat (= 13)\nPackaging Tutorial " + p + " / 3"));
        }
        assertThat(RunningLines.strip(pages).get(1).text)
                .isEqualTo("Slide c\nUse debhelper-compat (= 13)\n\nPackaging Tutorial");
    }
}
