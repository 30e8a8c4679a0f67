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
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/** Turns content bytes of any supported type into page texts and images to read; PDFs go to {@link PdfExtractor}. */
public class DocumentExtractor {

    private static final Set<String> BLOCKS = Set.of("p", "div", "section", "article", "li", "tr", "br", "pre",
            "blockquote", "table", "ul", "ol", "header", "footer", "main", "nav", "aside", "dd", "dt", "figcaption");

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
                out.pageCount = 1;
                out.pages.add(new PageText(1, normaliseNewlines(new String(content, StandardCharsets.UTF_8))));
                break;
            case ContentTypes.HTML:
                out.pageCount = 1;
                out.pages.add(new PageText(1, htmlToText(new String(content, StandardCharsets.UTF_8))));
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
        int[] size = imageSize(content);
        if (size == null) {
            throw new DocumentException(DocumentError.CORRUPT_DOCUMENT, "Not a readable " + contentType + " image");
        }
        if ((long) size[0] * size[1] > limits.maxImagePixels()) {
            throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "Image has " + size[0] + "x" + size[1]
                    + " pixels, more than " + IngestOptions.LIMITS_MAX_IMAGE_PIXELS.key() + "=" + limits.maxImagePixels());
        }
        if (limits.collectImages()) {
            out.images.add(new PageImage(1, content, PageImage.STANDALONE, size[0], size[1]));
        } else {
            out.imagesSkipped++;
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
