package io.peregrine.bench.harness;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Draws latency-by-percentile curves as SVG, the way HdrHistogram's plotter does: percentile on a logarithmic
 * axis of 1/(1 - p) so the tail gets room (50%, 90%, 99%, ... 99.999%), latency on a logarithmic axis in
 * microseconds, one line per series.
 */
final class PercentilePlot
{
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;
    private static final int LEFT = 80;
    private static final int RIGHT = 200;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;
    private static final double MAX_NINES = 5;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#7f7f7f", "#2ca02c", "#9467bd", "#ff7f0e"};

    /** One line: a name and a histogram in nanoseconds. */
    record Series(String name, Histogram histogram)
    {
    }

    private PercentilePlot()
    {
    }

    static void write(final Path file, final String title, final List<Series> series) throws IOException
    {
        double maxUs = 1;
        double minUs = Double.MAX_VALUE;
        for (final Series s : series)
        {
            if (s.histogram().getTotalCount() > 0)
            {
                maxUs = Math.max(maxUs, s.histogram().getMaxValue() / 1000.0);
                minUs = Math.min(minUs, Math.max(1, s.histogram().getValueAtPercentile(1) / 1000.0));
            }
        }
        final double yMin = Math.pow(10, Math.floor(Math.log10(Math.min(minUs, maxUs))));
        final double yMax = Math.pow(10, Math.ceil(Math.log10(maxUs)));
        final int plotWidth = WIDTH - LEFT - RIGHT;
        final int plotHeight = HEIGHT - TOP - BOTTOM;

        final StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", LEFT,
            escape(title)));
        for (int nines = 0; nines <= MAX_NINES; nines++)
        {
            final double x = LEFT + plotWidth * nines / MAX_NINES;
            final String label = java.math.BigDecimal.valueOf(100)
                .subtract(java.math.BigDecimal.valueOf(100).movePointLeft(nines)).stripTrailingZeros()
                .toPlainString() + "%";
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, TOP, x, TOP + plotHeight, x,
                TOP + plotHeight + 18, label));
        }
        for (double v = yMin; v <= yMax * 1.0001; v *= 10)
        {
            final double y = yFor(v, yMin, yMax, plotHeight);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT, y, LEFT + plotWidth, y,
                LEFT - 6, y + 4, formatUs(v)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n",
            LEFT + plotWidth / 2, HEIGHT - 15));
        svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" transform=\"rotate(-90 18 %d)\" "
            + "text-anchor=\"middle\">latency (log scale)</text>%n", TOP + plotHeight / 2, TOP + plotHeight / 2));

        for (int i = 0; i < series.size(); i++)
        {
            final Histogram h = series.get(i).histogram();
            final String colour = COLOURS[i % COLOURS.length];
            if (h.getTotalCount() == 0)
            {
                continue;
            }
            final StringBuilder points = new StringBuilder();
            for (int step = 0; step <= 400; step++)
            {
                final double nines = MAX_NINES * step / 400.0;
                final double percentile = 100 - 100 / Math.pow(10, nines);
                final double us = Math.max(yMin, h.getValueAtPercentile(percentile) / 1000.0);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + plotWidth * nines / MAX_NINES,
                    yFor(us, yMin, yMax, plotHeight)));
            }
            svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                + "points=\"%s\"/>%n", colour, points.toString().trim()));
            final int legendY = TOP + 10 + i * 20;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                + "stroke-width=\"3\"/><text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + plotWidth + 10, legendY,
                LEFT + plotWidth + 30, legendY, colour, LEFT + plotWidth + 36, legendY + 4,
                escape(series.get(i).name())));
        }
        svg.append("</svg>\n");
        final Path parent = file.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        Files.writeString(file, svg.toString());
    }

    private static double yFor(final double us, final double yMin, final double yMax, final int plotHeight)
    {
        final double fraction = (Math.log10(us) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin));
        return TOP + plotHeight * (1 - fraction);
    }

    private static String formatUs(final double us)
    {
        if (us >= 1000)
        {
            return String.format(Locale.ROOT, "%.0f ms", us / 1000);
        }
        return us >= 1 ? String.format(Locale.ROOT, "%.0f µs", us) : String.format(Locale.ROOT, "%.2f µs", us);
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
