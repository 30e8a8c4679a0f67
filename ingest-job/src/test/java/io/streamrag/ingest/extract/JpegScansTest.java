package io.streamrag.ingest.extract;

import io.streamrag.ingest.testing.PoisonDocuments;

import org.junit.jupiter.api.Test;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The scan counter passes the JPEGs encoders write and stops at a repeated-scan bomb. */
class JpegScansTest {

    @Test
    void baselineJpegHasOneScan() throws Exception {
        for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_INT_RGB}) {
            byte[] jpeg = jpeg(noise(300, 200, type), false);
            assertThat(count(jpeg)).isEqualTo(1);
            assertThat(ImageIO.read(new ByteArrayInputStream(jpeg)).getWidth()).isEqualTo(300);
        }
    }

    @Test
    void progressiveJpegIsWithinTheBound() throws Exception {
        // libjpeg's progressive script, which ImageIO writes: 6 scans for gray, 10 for colour.
        assertThat(count(jpeg(noise(300, 200, BufferedImage.TYPE_BYTE_GRAY), true))).isEqualTo(6);
        byte[] colour = jpeg(noise(300, 200, BufferedImage.TYPE_INT_RGB), true);
        assertThat(count(colour)).isEqualTo(10).isLessThanOrEqualTo(JpegScans.MAX);
        assertThat(ImageIO.read(new ByteArrayInputStream(colour)).getWidth()).isEqualTo(300);
    }

    @Test
    void repeatedScansStopTheCountPastTheBound() throws Exception {
        assertThat(count(PoisonDocuments.repeatedScanJpeg(64, JpegScans.MAX - 6))).isEqualTo(JpegScans.MAX);
        assertThat(count(PoisonDocuments.repeatedScanJpeg(64, JpegScans.MAX - 5))).isEqualTo(JpegScans.MAX + 1);
        assertThat(count(PoisonDocuments.repeatedScanJpeg(64, 5000))).isEqualTo(JpegScans.MAX + 1);
    }

    @Test
    void markersAreFoundAsTheDecoderFindsThem() throws Exception {
        byte[] jpeg = bytes(
                0xFF, 0xD8,
                0xFF, 0xE0, 0x00, 0x08, 0xFF, 0xDA, 0xFF, 0xD9, 0x00, 0x00, // APP0 whose payload looks like SOS and EOI
                0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, // scan 1
                0x12, 0xFF, 0x00, 0xDA, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0x00, 0xD9, // data: stuffed 0xFF (one after fill), RST0
                0xFF, 0xFE, 0x00, 0x04, 0xFF, 0xD9, // a comment holding an EOI
                0xFF, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, // scan 2, after a fill byte
                0x9A,
                0xFF, 0xD9, // EOI: the decoder stops
                0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00); // appended data is not decoded
        assertThat(count(jpeg)).isEqualTo(2);
        // Truncated inside a segment's length or body: what came before counts.
        assertThat(count(bytes(0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 0x01))).isEqualTo(1);
        assertThat(count(bytes(0xFF, 0xD8, 0xFF, 0xDA, 0x00))).isZero();
        assertThat(count(new byte[0])).isZero();
    }

    private static int count(byte[] jpeg) throws IOException {
        return JpegScans.count(new ByteArrayInputStream(jpeg), JpegScans.MAX);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static BufferedImage noise(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        Random random = new Random(7);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        return img;
    }

    private static byte[] jpeg(BufferedImage img, boolean progressive) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        if (progressive) {
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
