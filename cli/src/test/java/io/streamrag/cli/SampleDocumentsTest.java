package io.streamrag.cli;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The sample manual keeps some answers only inside pictures, which is what the Quick start demonstrates. */
class SampleDocumentsTest {

    @Test
    void screenshotPagesHaveAnImageAndNoTextLayer(@TempDir Path dir) throws Exception {
        List<Path> files = SampleDocuments.write(dir);
        assertThat(files).allSatisfy(f -> assertThat(f).exists());
        try (PDDocument doc = Loader.loadPDF(dir.resolve(SampleDocuments.MANUAL).toFile())) {
            assertThat(doc.getNumberOfPages()).isEqualTo(6);
            PDFTextStripper stripper = new PDFTextStripper();
            stripper.setStartPage(2);
            stripper.setEndPage(2);
            assertThat(stripper.getText(doc)).contains("9443");
            stripper.setStartPage(3);
            stripper.setEndPage(3);
            assertThat(stripper.getText(doc)).doesNotContain("14").isBlank();
            assertThat(doc.getPage(2).getResources().getXObjectNames()).hasSize(1);
        }
        List<String> questions = Files.readAllLines(dir.resolve(SampleDocuments.QUESTIONS));
        assertThat(questions).hasSizeGreaterThanOrEqualTo(20);
        assertThat(questions).filteredOn(l -> l.contains("\"kind\": \"image\"")).hasSize(5);
    }
}
