package io.peregrine.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws a scaling curve as SVG: the parameter on a logarithmic x axis (connections, queues, bytes, queues per
 * message), the measured rate on a logarithmic y axis, one point per run, so a curve that bends shows where.
 */
final class CurvePlot
{
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;
    private static final int LEFT = 90;
    private static final int RIGHT = 40;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    /** One measured point. */
    record Point(double x, double y)
    {
    }

    /** One line: a name and its points. */
    record Series(String name, List<Point> points)
    {
    }

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

    private CurvePlot()
    {
    }

    static void write(final Path file, final String title, final String xLabel, final String yLabel,
        final List<Point> points) throws IOException
    {
        writeSeries(file, title, xLabel, yLabel, List.of(new Series(yLabel, points)));
    }

    static void writeSeries(final Path file, final String title, final String xLabel, final String yLabel,
        final List<Series> series) throws IOException
    {
        final List<Point> points = new ArrayList<>();
        series.forEach(s -> points.addAll(s.points()));
        double xMin = Double.MAX_VALUE;
        double xMax = 1;
        double yMin = Double.MAX_VALUE;
        double yMax = 1;
        for (final Point p : points)
        {
            xMin = Math.min(xMin, Math.max(1, p.x()));
            xMax = Math.max(xMax, p.x());
            yMin = Math.min(yMin, Math.max(1, p.y()));
            yMax = Math.max(yMax, p.y());
        }
        final double x0 = Math.pow(10, Math.floor(Math.log10(Math.min(xMin, xMax))));
        final double x1 = Math.pow(10, Math.ceil(Math.log10(xMax * 1.0001)));
        final double y0 = Math.pow(10, Math.floor(Math.log10(Math.min(yMin, yMax))));
        final double y1 = Math.pow(10, Math.ceil(Math.log10(yMax * 1.0001)));
        final int w = WIDTH - LEFT - RIGHT;
        final int h = HEIGHT - TOP - BOTTOM;
        final StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">%n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n"
            + "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", WIDTH, HEIGHT, WIDTH, HEIGHT, LEFT,
            escape(title)));
        for (double v = x0; v <= x1 * 1.0001; v *= 10)
        {
            final double x = LEFT + w * log(v, x0, x1);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, TOP, x, TOP + h, x, TOP + h + 18,
                format(v)));
        }
        for (double v = y0; v <= y1 * 1.0001; v *= 10)
        {
            final double y = TOP + h * (1 - log(v, y0, y1));
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT, y, LEFT + w, y, LEFT - 6, y + 4,
                format(v)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s (log scale)</text>%n"
            + "<text x=\"18\" y=\"%d\" transform=\"rotate(-90 18 %d)\" text-anchor=\"middle\">%s (log scale)</text>%n",
            LEFT + w / 2, HEIGHT - 15, escape(xLabel), TOP + h / 2, TOP + h / 2, escape(yLabel)));
        for (int i = 0; i < series.size(); i++)
        {
            final String colour = COLOURS[i % COLOURS.length];
            final StringBuilder line = new StringBuilder();
            for (final Point p : series.get(i).points())
            {
                final double x = LEFT + w * log(Math.max(1, p.x()), x0, x1);
                final double y = TOP + h * (1 - log(Math.max(1, p.y()), y0, y1));
                line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                    x, y, colour));
            }
            svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                + "points=\"%s\"/>%n", colour, line.toString().trim()));
            if (series.size() > 1)
            {
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n",
                    LEFT + 10, TOP + 16 + i * 16, colour, escape(series.get(i).name())));
            }
        }
        svg.append("</svg>\n");
        final Path parent = file.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        Files.writeString(file, svg.toString());
    }

    private static double log(final double v, final double min, final double max)
    {
        return (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
    }

    private static String format(final double v)
    {
        if (v >= 1e9)
        {
            return String.format(Locale.ROOT, "%.0fG", v / 1e9);
        }
        if (v >= 1e6)
        {
            return String.format(Locale.ROOT, "%.0fM", v / 1e6);
        }
        return v >= 1e3 ? String.format(Locale.ROOT, "%.0fk", v / 1e3) : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
