using static TorchSharp.torch;

namespace CnnGen.Samples.Segmentation;

/// <summary>
/// Synthetic segmentation data made in code: grey images of noise and a slow brightness gradient with one to three
/// filled discs and squares on them, and a mask per image (0 background, 1 disc, 2 square; a later shape covers an
/// earlier one). The shapes' brightness is drawn from the same range for both kinds, so only their outline tells them
/// apart. Deterministic for a seed.
/// </summary>
public sealed class Shapes
{
    public const int Classes = 3;
    public static readonly string[] ClassNames = { "background", "disc", "square" };

    private Shapes(Tensor images, Tensor masks) => (Images, Masks) = (images, masks);

    /// <summary>[N, 1, size, size] float images.</summary>
    public Tensor Images { get; }

    /// <summary>[N, size, size] class indices (int64).</summary>
    public Tensor Masks { get; }

    public long Count => Images.shape[0];

    public static Shapes Make(int count, int size, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * size * size];
        var labels = new long[count * size * size];
        for (var n = 0; n < count; n++)
        {
            var image = new Span<float>(pixels, n * size * size, size * size);
            var mask = new Span<long>(labels, n * size * size, size * size);
            // Background: a gradient in a random direction plus pixel noise.
            var (gx, gy) = (random.NextDouble() - 0.5, random.NextDouble() - 0.5);
            for (var y = 0; y < size; y++)
                for (var x = 0; x < size; x++)
                    image[y * size + x] = (float)(0.4 * (gx * x + gy * y) / size + 0.25 * Gaussian(random));
            var shapes = random.Next(1, 4);
            for (var s = 0; s < shapes; s++)
            {
                var kind = random.Next(1, Classes);
                var radius = random.Next(size / 10, size / 4);
                var (cx, cy) = (random.Next(radius, size - radius), random.Next(radius, size - radius));
                var brightness = (float)(0.6 + 0.6 * random.NextDouble()) * (random.Next(2) == 0 ? 1 : -1);
                for (var y = cy - radius; y <= cy + radius; y++)
                    for (var x = cx - radius; x <= cx + radius; x++)
                    {
                        if (x < 0 || y < 0 || x >= size || y >= size) continue;
                        var inside = kind == 2 || (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius;
                        if (!inside) continue;
                        image[y * size + x] = brightness + (float)(0.25 * Gaussian(random));
                        mask[y * size + x] = kind;
                    }
            }
        }
        return new Shapes(tensor(pixels).reshape(count, 1, size, size), tensor(labels).reshape(count, size, size));
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
