using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CnnGen.Benchmarks.HandWritten;

/// <summary>
/// Inception-v3 (aux_logits=False, transform_input=False, 3x299x299 input) as a TorchSharp user writes it
/// by hand, following torchvision's inception.py (same module names, so the same safetensors file loads
/// into it): the baseline the generated class is measured against.
/// </summary>
public sealed class HandWrittenInceptionV3 : Module<Tensor, Tensor>
{
    private sealed class BasicConv2d : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;
        private readonly BatchNorm2d bn;

        public BasicConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0) : base("BasicConv2d")
        {
            conv = Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: false);
            bn = BatchNorm2d(outChannels, eps: 0.001);
            RegisterComponents();
        }

        public BasicConv2d(long inChannels, long outChannels, (long, long) kernelSize, (long, long) padding) : base("BasicConv2d")
        {
            conv = Conv2d(inChannels, outChannels, kernelSize, stride: (1, 1), padding: padding, bias: false);
            bn = BatchNorm2d(outChannels, eps: 0.001);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => functional.relu(bn.forward(conv.forward(x)), inplace: true);
    }

    private sealed class InceptionA : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool;

        public InceptionA(long inChannels, long poolFeatures) : base("InceptionA")
        {
            branch1x1 = new BasicConv2d(inChannels, 64, 1);
            branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
            branch5x5_2 = new BasicConv2d(48, 64, 5, padding: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
            branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(96, 96, 3, padding: 1);
            branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var b1x1 = branch1x1.forward(x);
            var b5x5 = branch5x5_2.forward(branch5x5_1.forward(x));
            var b3x3dbl = branch3x3dbl_3.forward(branch3x3dbl_2.forward(branch3x3dbl_1.forward(x)));
            var bPool = branch_pool.forward(functional.avg_pool2d(x, 3, stride: 1, padding: 1));
            return torch.cat(new[] { b1x1, b5x5, b3x3dbl, bPool }, 1);
        }
    }

    private sealed class InceptionB : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3;

        public InceptionB(long inChannels) : base("InceptionB")
        {
            branch3x3 = new BasicConv2d(inChannels, 384, 3, stride: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
            branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(96, 96, 3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var b3x3 = branch3x3.forward(x);
            var b3x3dbl = branch3x3dbl_3.forward(branch3x3dbl_2.forward(branch3x3dbl_1.forward(x)));
            var bPool = functional.max_pool2d(x, 3, stride: 2);
            return torch.cat(new[] { b3x3, b3x3dbl, bPool }, 1);
        }
    }

    private sealed class InceptionC : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1;
        private readonly BasicConv2d branch7x7_1, branch7x7_2, branch7x7_3;
        private readonly BasicConv2d branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5;
        private readonly BasicConv2d branch_pool;

        public InceptionC(long inChannels, long channels7x7) : base("InceptionC")
        {
            var c7 = channels7x7;
            branch1x1 = new BasicConv2d(inChannels, 192, 1);
            branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7_2 = new BasicConv2d(c7, c7, (1, 7), padding: (0, 3));
            branch7x7_3 = new BasicConv2d(c7, 192, (7, 1), padding: (3, 0));
            branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7dbl_2 = new BasicConv2d(c7, c7, (7, 1), padding: (3, 0));
            branch7x7dbl_3 = new BasicConv2d(c7, c7, (1, 7), padding: (0, 3));
            branch7x7dbl_4 = new BasicConv2d(c7, c7, (7, 1), padding: (3, 0));
            branch7x7dbl_5 = new BasicConv2d(c7, 192, (1, 7), padding: (0, 3));
            branch_pool = new BasicConv2d(inChannels, 192, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var b1x1 = branch1x1.forward(x);
            var b7x7 = branch7x7_3.forward(branch7x7_2.forward(branch7x7_1.forward(x)));
            var b7x7dbl = branch7x7dbl_1.forward(x);
            b7x7dbl = branch7x7dbl_3.forward(branch7x7dbl_2.forward(b7x7dbl));
            b7x7dbl = branch7x7dbl_5.forward(branch7x7dbl_4.forward(b7x7dbl));
            var bPool = branch_pool.forward(functional.avg_pool2d(x, 3, stride: 1, padding: 1));
            return torch.cat(new[] { b1x1, b7x7, b7x7dbl, bPool }, 1);
        }
    }

    private sealed class InceptionD : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch3x3_1, branch3x3_2;
        private readonly BasicConv2d branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4;

        public InceptionD(long inChannels) : base("InceptionD")
        {
            branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
            branch3x3_2 = new BasicConv2d(192, 320, 3, stride: 2);
            branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
            branch7x7x3_2 = new BasicConv2d(192, 192, (1, 7), padding: (0, 3));
            branch7x7x3_3 = new BasicConv2d(192, 192, (7, 1), padding: (3, 0));
            branch7x7x3_4 = new BasicConv2d(192, 192, 3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var b3x3 = branch3x3_2.forward(branch3x3_1.forward(x));
            var b7x7x3 = branch7x7x3_2.forward(branch7x7x3_1.forward(x));
            b7x7x3 = branch7x7x3_4.forward(branch7x7x3_3.forward(b7x7x3));
            var bPool = functional.max_pool2d(x, 3, stride: 2);
            return torch.cat(new[] { b3x3, b7x7x3, bPool }, 1);
        }
    }

    private sealed class InceptionE : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1;
        private readonly BasicConv2d branch3x3_1, branch3x3_2a, branch3x3_2b;
        private readonly BasicConv2d branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b;
        private readonly BasicConv2d branch_pool;

        public InceptionE(long inChannels) : base("InceptionE")
        {
            branch1x1 = new BasicConv2d(inChannels, 320, 1);
            branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
            branch3x3_2a = new BasicConv2d(384, 384, (1, 3), padding: (0, 1));
            branch3x3_2b = new BasicConv2d(384, 384, (3, 1), padding: (1, 0));
            branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
            branch3x3dbl_2 = new BasicConv2d(448, 384, 3, padding: 1);
            branch3x3dbl_3a = new BasicConv2d(384, 384, (1, 3), padding: (0, 1));
            branch3x3dbl_3b = new BasicConv2d(384, 384, (3, 1), padding: (1, 0));
            branch_pool = new BasicConv2d(inChannels, 192, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var b1x1 = branch1x1.forward(x);
            var b3x3 = branch3x3_1.forward(x);
            b3x3 = torch.cat(new[] { branch3x3_2a.forward(b3x3), branch3x3_2b.forward(b3x3) }, 1);
            var b3x3dbl = branch3x3dbl_2.forward(branch3x3dbl_1.forward(x));
            b3x3dbl = torch.cat(new[] { branch3x3dbl_3a.forward(b3x3dbl), branch3x3dbl_3b.forward(b3x3dbl) }, 1);
            var bPool = branch_pool.forward(functional.avg_pool2d(x, 3, stride: 1, padding: 1));
            return torch.cat(new[] { b1x1, b3x3, b3x3dbl, bPool }, 1);
        }
    }

    private readonly BasicConv2d Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3;
    private readonly MaxPool2d maxpool1 = MaxPool2d(3, 2);
    private readonly BasicConv2d Conv2d_3b_1x1, Conv2d_4a_3x3;
    private readonly MaxPool2d maxpool2 = MaxPool2d(3, 2);
    private readonly InceptionA Mixed_5b, Mixed_5c, Mixed_5d;
    private readonly InceptionB Mixed_6a;
    private readonly InceptionC Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e;
    private readonly InceptionD Mixed_7a;
    private readonly InceptionE Mixed_7b, Mixed_7c;
    private readonly AdaptiveAvgPool2d avgpool = AdaptiveAvgPool2d(1);
    private readonly Dropout dropout = Dropout(0.5);
    private readonly Linear fc;

    public HandWrittenInceptionV3(int numClasses = 1000) : base("InceptionV3")
    {
        Conv2d_1a_3x3 = new BasicConv2d(3, 32, 3, stride: 2);
        Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3);
        Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, padding: 1);
        Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
        Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3);
        Mixed_5b = new InceptionA(192, poolFeatures: 32);
        Mixed_5c = new InceptionA(256, poolFeatures: 64);
        Mixed_5d = new InceptionA(288, poolFeatures: 64);
        Mixed_6a = new InceptionB(288);
        Mixed_6b = new InceptionC(768, channels7x7: 128);
        Mixed_6c = new InceptionC(768, channels7x7: 160);
        Mixed_6d = new InceptionC(768, channels7x7: 160);
        Mixed_6e = new InceptionC(768, channels7x7: 192);
        Mixed_7a = new InceptionD(768);
        Mixed_7b = new InceptionE(1280);
        Mixed_7c = new InceptionE(2048);
        fc = Linear(2048, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = Conv2d_2b_3x3.forward(Conv2d_2a_3x3.forward(Conv2d_1a_3x3.forward(x)));
        x = maxpool1.forward(x);
        x = Conv2d_4a_3x3.forward(Conv2d_3b_1x1.forward(x));
        x = maxpool2.forward(x);
        x = Mixed_5d.forward(Mixed_5c.forward(Mixed_5b.forward(x)));
        x = Mixed_6a.forward(x);
        x = Mixed_6e.forward(Mixed_6d.forward(Mixed_6c.forward(Mixed_6b.forward(x))));
        x = Mixed_7c.forward(Mixed_7b.forward(Mixed_7a.forward(x)));
        x = dropout.forward(avgpool.forward(x));
        return fc.forward(x.flatten(1));
    }
}
