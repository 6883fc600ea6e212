"""The evaluation stage: how good is an embedding?

``metrics`` scores local, class and global structure (``evaluate`` runs all
that apply); ``blockwise`` holds the chunked distance kernels behind them;
``objective`` evaluates UMAP's own loss on any embedding of a graph.
``metrics`` loads without torch.
"""
