-- Create a table from Kafka topic
CREATE TABLE orders (
  order_id STRING,
  product_id STRING,
  quantity INT,
  price DECIMAL(10, 2),
  order_time TIMESTAMP(3)
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka.confluent.svc.cluster.local:9092',
  'format' = 'avro-confluent',
  'avro-confluent.url' = 'http://schemaregistry.confluent.svc.cluster.local:8081'
);

-- Aggregate and write to another topic
CREATE TABLE order_totals (
  product_id STRING,
  total_quantity INT,
  total_revenue DECIMAL(10, 2)
) WITH (
  'connector' = 'kafka',
  'topic' = 'order-totals',
  'properties.bootstrap.servers' = 'kafka.confluent.svc.cluster.local:9092',
  'format' = 'avro-confluent',
  'avro-confluent.url' = 'http://schemaregistry.confluent.svc.cluster.local:8081'
);

-- Execute streaming query
INSERT INTO order_totals
SELECT
  product_id,
  SUM(quantity) as total_quantity,
  SUM(quantity * price) as total_revenue
FROM orders
GROUP BY product_id;
