"""The services layer: clients for Jimeng, ImageX, Volcengine visual and OSS; image inputs."""
