package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;

import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;
import io.streamrag.ingest.records.PageText;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Turns content bytes of any supported type into page texts and images to read; PDFs go to {@link PdfExtractor}. */
public class DocumentExtractor {

    private static final Set<String> BLOCKS = Set.of("p", "div", "section", "article", "li", "tr", "br", "pre",
            "blockquote", "table", "ul", "ol", "header", "footer", "main", "nav", "aside", "dd", "dt", "figcaption");

    /**
     * HTML larger than this is refused (LimitExceeded): jsoup builds the whole tree, 50 to 100 bytes of heap per byte
     * of dense markup. 10 MB of {@code <b>x} peaked at 721 MB of heap and 30 MB exhausted it (documents review #10),
     * while a fetched document may be 100 MB; 8 MiB still needed a 512 MB heap, 4 MiB fits in 256 MB, which a task
     * heap under 1 GiB can spare. Web pages are mostly well under 1 MB.
     */
    public static final int MAX_HTML_BYTES = 4 << 20;

    private final ExtractionLimits limits;
    private final PdfExtractor pdf;

    public DocumentExtractor(ExtractionLimits limits) {
        this.limits = limits;
        this.pdf = new PdfExtractor(limits);
    }

    /** Extracts {@code content} of the (already detected or declared) {@code contentType}. */
    public ExtractedDocument extract(byte[] content, String contentType) throws DocumentException {
        ExtractedDocument out = new ExtractedDocument(null, contentType);
        switch (contentType) {
            case ContentTypes.PDF:
                pdf.extract(content, out);
                break;
            case ContentTypes.TEXT:
            case ContentTypes.MARKDOWN:
                // Refused before decoding, as HTML is: the text, its copies and its chunks take several times its size.
                if (content.length > limits.maxTextBytes()) {
                    throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "Text is " + content.length + " bytes, more than "
                            + IngestOptions.LIMITS_MAX_TEXT_BYTES.key() + "=" + limits.maxTextBytes());
                }
                out.pageCount = 1;
                out.pages.add(new PageText(1, normaliseNewlines(new String(content, StandardCharsets.UTF_8))));
                break;
            case ContentTypes.HTML:
                if (content.length > MAX_HTML_BYTES) {
                    throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "HTML is " + content.length
                            + " bytes, more than " + MAX_HTML_BYTES + " (DocumentExtractor.MAX_HTML_BYTES)");
                }
                out.pageCount = 1;
                try {
                    out.pages.add(new PageText(1, htmlToText(new String(content, StandardCharsets.UTF_8))));
                } catch (RuntimeException | StackOverflowError e) {
                    // As for PDFs: a parser failure is this document's, not the job's.
                    throw new DocumentException(DocumentError.CORRUPT_DOCUMENT, "Unreadable HTML: " + e.getMessage(), e);
                } catch (OutOfMemoryError e) {
                    // Last resort, as PdfExtractor does: the tree becomes garbage with this exception.
                    throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "HTML needs more memory than the heap has (" + e.getMessage() + ")");
                }
                break;
            case ContentTypes.PNG:
            case ContentTypes.JPEG:
                out.pageCount = 1;
                standaloneImage(content, contentType, out);
                break;
            default:
                throw new DocumentException(DocumentError.UNSUPPORTED_CONTENT_TYPE, "Content type " + contentType + " is not supported");
        }
        return out;
    }

    private void standaloneImage(byte[] content, String contentType, ExtractedDocument out) throws DocumentException {
        // The declared type alone is not trusted: a multi-page TIFF sent as image/png passed as its 200x200 first
        // page while tesseract read a 400 Mpx second one (documents review #11). Only real PNG or JPEG bytes go on.
        boolean png = ContentTypes.PNG.equals(contentType);
        if (!ContentTypes.startsWith(content, png ? PNG_MAGIC : JPEG_MAGIC)) {
            throw new DocumentException(DocumentError.UNSUPPORTED_CONTENT_TYPE, "Declared " + contentType
                    + " but the bytes are not " + (png ? "a PNG" : "a JPEG") + " (only PNG and JPEG images are read)");
        }
        int[][] frames = imageFrames(content, png ? "png" : "jpeg");
        if (frames == null || frames.length == 0) {
            throw new DocumentException(DocumentError.CORRUPT_DOCUMENT, "Not a readable " + contentType + " image");
        }
        // Every frame the format holds is within the limit, not just the first (JPEG can carry appended images).
        for (int[] frame : frames) {
            if ((long) frame[0] * frame[1] > limits.maxImagePixels()) {
                throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "Image has " + (frames.length > 1 ? "a frame of " : "") + frame[0] + "x" + frame[1]
                        + " pixels, more than " + IngestOptions.LIMITS_MAX_IMAGE_PIXELS.key() + "=" + limits.maxImagePixels());
            }
        }
        int[] size = frames[0];
        if (limits.collectImages()) {
            out.images.add(new PageImage(1, content, PageImage.STANDALONE, size[0], size[1]));
        } else {
            out.imagesSkipped++;
        }
    }

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    private static final byte[] JPEG_MAGIC = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};

    /**
     * Width and height of every image in {@code content} read by ImageIO's reader of {@code format} ("png", "jpeg")
     * alone, from the headers, without decoding pixels; null when that reader cannot read it.
     */
    static int[][] imageFrames(byte[] content, String format) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(content))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
            if (in == null || !readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                List<int[]> frames = new ArrayList<>();
                frames.add(new int[] {reader.getWidth(0), reader.getHeight(0)});
                int n;
                try {
                    n = reader.getNumImages(true);
                } catch (IOException | RuntimeException e) {
                    n = 1; // odd data after the first image: frame 0 is what the old check read and OCR reads
                }
                try {
                    for (int i = 1; i < n; i++) {
                        frames.add(new int[] {reader.getWidth(i), reader.getHeight(i)});
                    }
                } catch (IOException | RuntimeException e) {
                    // An unreadable later image is not decoded by anyone either (OCR reads the first).
                }
                return frames.toArray(new int[0][]);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Width and height from the image header, without decoding the pixels (a bomb costs nothing here). */
    static int[] imageSize(byte[] content) {
        return imageSize(new ByteArrayInputStream(content));
    }

    /** Width and height from the header of an encoded image on {@code stream}, or null when unreadable. */
    static int[] imageSize(java.io.InputStream stream) {
        try (ImageInputStream in = ImageIO.createImageInputStream(stream)) {
            if (in == null) {
                return null;
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String normaliseNewlines(String s) {
        return s.replace("\r\n", "\n").replace('\r', '\n');
    }

    /** Visible text with block structure kept as blank lines and headings as Markdown {@code #} lines. */
    static String htmlToText(String html) {
        Document doc = Jsoup.parse(html);
        doc.select("script, style, noscript, template, svg, head").remove();
        StringBuilder sb = new StringBuilder();
        appendText(doc.body() == null ? doc : doc.body(), sb);
        return sb.toString().replaceAll("[ \\t]+", " ").replaceAll(" *\n *", "\n").replaceAll("\n{3,}", "\n\n").strip();
    }

    private static void appendText(Node node, StringBuilder sb) {
        for (Node child : node.childNodes()) {
            if (child instanceof TextNode) {
                sb.append(((TextNode) child).text());
            } else if (child instanceof Element) {
                Element e = (Element) child;
                String tag = e.normalName().toLowerCase(Locale.ROOT);
                if (tag.length() == 2 && tag.charAt(0) == 'h' && Character.isDigit(tag.charAt(1))) {
                    int level = tag.charAt(1) - '0';
                    sb.append("\n\n").append("#".repeat(Math.max(1, Math.min(6, level)))).append(' ')
                            .append(e.text().strip()).append("\n\n");
                } else if (BLOCKS.contains(tag)) {
                    sb.append("\n\n");
                    appendText(e, sb);
                    sb.append("\n\n");
                } else {
                    appendText(e, sb);
                    if ("td".equals(tag) || "th".equals(tag)) {
                        sb.append(' ');
                    }
                }
            }
        }
    }
}
