using System.IO.Compression;
using static TorchSharp.torch;

namespace CnnGen.Samples.Training;

/// <summary>
/// The UCI optical handwritten digits (1,797 images, 8x8, grey levels 0..16; CC BY 4.0), as Debian's
/// scikit-learn ships them: one gzip CSV line per image, 64 pixels and the label.
/// </summary>
public sealed record Digits(Tensor Images, Tensor Labels)
{
    public static Digits Load(string path)
    {
        using var file = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(file);
        var pixels = new List<float>();
        var labels = new List<long>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            var values = line.Split(',');
            if (values.Length != 65) throw new InvalidDataException($"{path}: expected 64 pixels and a label per line, got {values.Length} values");
            pixels.AddRange(values.Take(64).Select(v => float.Parse(v) / 16f));
            labels.Add(long.Parse(values[64]));
        }
        var images = tensor(pixels.ToArray()).reshape(labels.Count, 1, 8, 8);
        // The 8x8 images count the pixels of 4x4 blocks of the original 32x32 bitmaps: repeating each
        // block 4x4 gives LeNet-5 the 32x32 input it was designed for.
        var upsampled = images.repeat_interleave(4, 2).repeat_interleave(4, 3);
        return new Digits(upsampled, tensor(labels.ToArray()));
    }

    /// <summary>A seeded shuffle split: the same train and test images on every run.</summary>
    public (Digits Train, Digits Test) Split(int testCount, long seed)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        var order = randperm(Labels.shape[0], generator: generator);
        var test = order[..testCount];
        var train = order[testCount..];
        return (new Digits(Images.index_select(0, train), Labels.index_select(0, train)), new Digits(Images.index_select(0, test), Labels.index_select(0, test)));
    }
}
