using SkiaSharp;
using static TorchSharp.torch;

namespace CnnGen.Samples.Segmentation;

/// <summary>A PNG with one row per image: the input, the true mask and the prediction, each pixel scaled up (SkiaSharp).</summary>
public static class Picture
{
    private static readonly SKColor[] Palette = { new(30, 30, 30), new(230, 120, 40), new(60, 150, 230) };

    public static void Save(string path, Tensor images, Tensor masks, Tensor predictions, int rows, int scale = 3)
    {
        var size = (int)images.shape[2];
        var cell = size * scale;
        const int gap = 6;
        using var bitmap = new SKBitmap(3 * cell + 4 * gap, rows * (cell + gap) + gap);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        for (var r = 0; r < rows; r++)
        {
            var image = images[r, 0].data<float>().ToArray();
            var (low, high) = (image.Min(), image.Max());
            var mask = masks[r].data<long>().ToArray();
            var predicted = predictions[r].data<long>().ToArray();
            var top = gap + r * (cell + gap);
            for (var y = 0; y < size; y++)
                for (var x = 0; x < size; x++)
                {
                    var grey = (byte)(255 * (image[y * size + x] - low) / Math.Max(high - low, 1e-6f));
                    Fill(canvas, gap, top, x, y, scale, new SKColor(grey, grey, grey));
                    Fill(canvas, 2 * gap + cell, top, x, y, scale, Palette[mask[y * size + x]]);
                    Fill(canvas, 3 * gap + 2 * cell, top, x, y, scale, Palette[predicted[y * size + x]]);
                }
        }
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
    }

    private static void Fill(SKCanvas canvas, int left, int top, int x, int y, int scale, SKColor color)
    {
        using var paint = new SKPaint { Color = color };
        canvas.DrawRect(left + x * scale, top + y * scale, scale, scale, paint);
    }
}
