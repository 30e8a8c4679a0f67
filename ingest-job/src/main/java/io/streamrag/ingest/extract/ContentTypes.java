package io.streamrag.ingest.extract;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Content types the job understands and detection from the bytes (and the URI's extension for text kinds). */
public final class ContentTypes {
    public static final String PDF = "application/pdf";
    public static final String TEXT = "text/plain";
    public static final String MARKDOWN = "text/markdown";
    public static final String HTML = "text/html";
    public static final String PNG = "image/png";
    public static final String JPEG = "image/jpeg";

    private ContentTypes() {}

    /** Lower-cases and strips parameters ({@code text/html; charset=utf-8} becomes {@code text/html}). */
    public static String normalise(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        String t = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "image/jpg":
                return JPEG;
            case "text/x-markdown":
                return MARKDOWN;
            case "application/xhtml+xml":
                return HTML;
            default:
                return t;
        }
    }

    public static boolean isSupported(String type) {
        return PDF.equals(type) || TEXT.equals(type) || MARKDOWN.equals(type) || HTML.equals(type)
                || PNG.equals(type) || JPEG.equals(type);
    }

    /** Magic numbers first (binary types cannot be faked by an extension), then the URI's extension, then text sniffing. */
    public static String detect(byte[] b, String uri) {
        if (startsWith(b, "%PDF-".getBytes(StandardCharsets.US_ASCII)) || indexOf(b, "%PDF-", 1024) >= 0) {
            return PDF;
        }
        if (startsWith(b, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) {
            return PNG;
        }
        if (startsWith(b, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF})) {
            return JPEG;
        }
        String ext = extension(uri);
        if (!isUtf8(b)) {
            return null;
        }
        if ("md".equals(ext) || "markdown".equals(ext)) {
            return MARKDOWN;
        }
        if ("html".equals(ext) || "htm".equals(ext)) {
            return HTML;
        }
        String head = new String(b, 0, Math.min(b.length, 1024), StandardCharsets.UTF_8).stripLeading().toLowerCase(Locale.ROOT);
        if (head.startsWith("<!doctype html") || head.startsWith("<html") || head.contains("<html") || head.contains("<body")) {
            return HTML;
        }
        return TEXT;
    }

    static String extension(String uri) {
        if (uri == null) {
            return "";
        }
        String path = uri.split("[?#]", 2)[0];
        int slash = path.lastIndexOf('/');
        int dot = path.lastIndexOf('.');
        return dot > slash ? path.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    static boolean startsWith(byte[] b, byte[] prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    static int indexOf(byte[] b, String ascii, int within) {
        byte[] p = ascii.getBytes(StandardCharsets.US_ASCII);
        int end = Math.min(b.length, within) - p.length;
        outer:
        for (int i = 0; i <= end; i++) {
            for (int j = 0; j < p.length; j++) {
                if (b[i + j] != p[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Valid UTF-8 with no NUL bytes in the first 64 KiB: good enough to call it text. */
    static boolean isUtf8(byte[] b) {
        int n = Math.min(b.length, 65536);
        for (int i = 0; i < n; i++) {
            if (b[i] == 0) {
                return false;
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, 0, n));
            return true;
        } catch (CharacterCodingException e) {
            // A multi-byte character cut at the 64 KiB boundary is not a reason to reject.
            return n < b.length && n > 4;
        }
    }
}
